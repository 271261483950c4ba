//! AFL++ target: `symbolon_suite_tests::parsers::bearer_token` (see `fuzz/README.md`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        symbolon_suite_tests::parsers::bearer_token(data);
    });
}
