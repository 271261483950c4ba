//! Offline evaluation of the default standard on labelled JSONL files, without building
//! the CLI: `cargo run -p symbolon-quality --example quality-eval -- FILE [SPLIT]`
//! (the same figures as `symbolon quality evaluate --standard default --offline`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use symbolon_quality::{
    default_standard,
    evaluate::{evaluate, render},
    inspect::{CompiledStandard, RuleInspector},
    io::labelled_from_jsonl,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("FILE");
    let split = args.next();
    let text = std::fs::read_to_string(&file).unwrap();
    let items = labelled_from_jsonl(&text, split.as_deref()).unwrap();
    let s = CompiledStandard::compile(&default_standard(), "standards/default/versions/1");
    let r = evaluate(&RuleInspector, &s, &items, 400);
    print!("{}", render(&r));
}
