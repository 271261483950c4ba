//! AFL++ target: `symbolon_suite_tests::parsers::resource_name` (see `fuzz/README.md`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        symbolon_suite_tests::parsers::resource_name(data);
    });
}
