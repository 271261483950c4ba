//! The parser fuzz targets (`fuzz/`, run under AFL++) as a short smoke run in the test
//! command: each target's corpus, then seeded mutations of it (bit flips, cut-offs,
//! splices, repeats), through the same property functions.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use symbolon_suite_tests::parsers::TARGETS;

/// xorshift64*: reproducible.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn mutate(seed: &[u8], other: &[u8], state: &mut u64) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + next(state) % 4 {
        let at = |n: usize, state: &mut u64| (next(state) as usize) % n.max(1);
        match next(state) % 5 {
            0 if !out.is_empty() => {
                let i = at(out.len(), state);
                out[i] ^= 1 << (next(state) % 8);
            }
            1 => {
                let i = at(out.len() + 1, state);
                out.truncate(i);
            }
            2 => {
                let i = at(out.len() + 1, state);
                let j = at(other.len() + 1, state);
                out.splice(i..i, other[..j].iter().copied());
            }
            3 if !out.is_empty() => {
                let i = at(out.len(), state);
                let byte = *b"\0.=/\"'{}:,\n%\xff".get(at(13, state)).unwrap();
                out.insert(i, byte);
            }
            _ => {
                let copy = out.clone();
                out.extend_from_slice(&copy);
                out.truncate(4096);
            }
        }
    }
    out
}

#[test]
fn every_parser_holds_its_properties_over_its_corpus_and_mutations() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let per_target: usize = std::env::var("SYMBOLON_PARSER_FUZZ_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    for (name, target) in TARGETS {
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(corpus.join(name))
            .unwrap_or_else(|e| panic!("corpus of {name}: {e}"))
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{name} has no corpus");
        for seed in &seeds {
            target(seed);
        }
        let mut state = 0x5EED_0000 ^ name.len() as u64;
        for _ in 0..per_target {
            let a = &seeds[(next(&mut state) as usize) % seeds.len()];
            let b = &seeds[(next(&mut state) as usize) % seeds.len()];
            target(&mutate(a, b, &mut state));
        }
        println!("{name}: {} seeds, {per_target} mutations", seeds.len());
    }
}
