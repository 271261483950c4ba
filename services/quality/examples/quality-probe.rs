#![allow(clippy::unwrap_used, clippy::expect_used)]
use symbolon_quality::inspect::{TurnView, meaning, text::normalise};
use symbolon_quality::pb;

fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (m, t) = line.split_once('|').unwrap();
        let meaning = match m.trim() {
            "upset" => pb::Meaning::Upset,
            "empathy" => pb::Meaning::Empathy,
            "apology" => pb::Meaning::Apology,
            "blame" => pb::Meaning::Blame,
            "refusal" => pb::Meaning::FlatRefusal,
            "runaround" => pb::Meaning::Runaround,
            "rude" => pb::Meaning::Rudeness,
            "resolution" => pb::Meaning::ResolutionCheck,
            "closing" => pb::Meaning::Closing,
            "proof" => pb::Meaning::ProofDemand,
            x => panic!("{x}"),
        };
        let norm = normalise(t.trim());
        let tv = TurnView {
            speaker: pb::Speaker::Customer,
            at: 0,
            chars: t.chars().count(),
            cues: meaning::cues_of(t.trim(), &norm),
            norm,
            found: Vec::new(),
            key: 1,
        };
        let j = meaning::judge(meaning, &tv, &[]);
        match j {
            meaning::Judgement::Yes(f) => {
                println!("YES {m:>10} | {} :: {} ({})", t.trim(), f.cue, f.why)
            }
            meaning::Judgement::No { near, .. } => println!(
                " no {m:>10} | {} :: {}",
                t.trim(),
                near.map(|f| f.why).unwrap_or_default()
            ),
        }
    }
}
