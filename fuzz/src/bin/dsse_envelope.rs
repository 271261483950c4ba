//! AFL++ target: `symbolon_suite_tests::parsers::dsse_envelope` (see `fuzz/README.md`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        symbolon_suite_tests::parsers::dsse_envelope(data);
    });
}
