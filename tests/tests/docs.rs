//! The grpcurl walk-through in `docs/grpcurl.md` is run as written: `symbolon dev --demo`
//! on free ports, then every `sh` block in order in one shell session (exported
//! variables carry over), with the real grpcurl and jq. A block must succeed and print
//! each `# expect:` text; a block marked `# fails with: CODE` must fail with that gRPC
//! code. So the docs cannot go stale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

/// One `sh` block of the page.
struct Block {
    /// 1-based line of its opening fence, to name it in a failure.
    line: usize,
    script: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, l) in markdown.lines().enumerate() {
        match current.as_mut() {
            None if l.trim_end() == "```sh" => {
                current = Some(Block {
                    line: i + 1,
                    script: String::new(),
                })
            }
            Some(_) if l.trim_end() == "```" => out.extend(current.take()),
            Some(b) => {
                b.script.push_str(l);
                b.script.push('\n');
            }
            None => {}
        }
    }
    out
}

/// The lines of a block that start with `marker`, without it.
fn marked<'a>(script: &'a str, marker: &str) -> Vec<&'a str> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix(marker))
        .map(str::trim)
        .collect()
}

/// A directory holding `name` found on PATH, at `$VAR`, or at `~/.local/bin/name`.
fn tool_dir(name: &str, var: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Path::new(&p).parent().unwrap().to_path_buf();
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let local = Path::new(&home).join(".local/bin");
    if local.join(name).exists() {
        return local;
    }
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "{name} is required (scripts/test.sh installs it)"
    );
    let path = PathBuf::from(String::from_utf8(found.stdout).unwrap().trim());
    path.parent().unwrap().to_path_buf()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Suite(Child);

impl Drop for Suite {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_grpcurl_walk_through_runs_as_written() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/grpcurl.md");
    let markdown = std::fs::read_to_string(&page).unwrap();
    let blocks = blocks(&markdown);
    assert!(blocks.len() >= 10, "the walk-through lost its examples");

    let symbolon = symbolon_suite_tests::bin_dir().join("symbolon");
    assert!(
        symbolon.exists(),
        "{} is missing: run `cargo test --workspace`",
        symbolon.display()
    );
    let path = format!(
        "{}:{}:{}",
        symbolon.parent().unwrap().display(),
        tool_dir("grpcurl", "GRPCURL").display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // The page speaks of the default ports; the suite runs on free ones.
    let ports: Vec<(String, String)> = ["50051", "50052", "50053"]
        .iter()
        .map(|p| {
            (
                format!("127.0.0.1:{p}"),
                format!("127.0.0.1:{}", free_port()),
            )
        })
        .collect();
    let work = tempfile::tempdir().unwrap();
    let mut child = Command::new(&symbolon)
        .current_dir(work.path())
        .args(["dev", "--demo"])
        .args(["--customers-addr", &ports[0].1])
        .args(["--labs-addr", &ports[1].1])
        .args(["--supplychain-addr", &ports[2].1])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let suite = Suite(child);
    let mut banner = String::new();
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("symbolon dev stopped:\n{banner}"))
            .unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Ctrl-C stops everything") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});

    let state = work.path().join("exports.sh");
    std::fs::write(&state, "").unwrap();
    let mut failures = Vec::new();
    for b in &blocks {
        let mut script = b.script.clone();
        for (default, actual) in &ports {
            script = script.replace(default, actual);
        }
        let wrapped = format!(
            "source '{s}'\nset -eo pipefail\n{script}\nexport -p > '{s}.next'\n",
            s = state.display()
        );
        let out = Command::new("bash")
            .current_dir(work.path())
            .env("PATH", &path)
            .args(["-c", &wrapped])
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut problems = Vec::new();
        match marked(&b.script, "# fails with:").first() {
            Some(code) => {
                if out.status.success() || !printed.contains(&format!("Code: {code}")) {
                    problems.push(format!("should fail with {code}"));
                }
            }
            None if !out.status.success() => problems.push(format!("exited {}", out.status)),
            None => std::fs::rename(state.with_extension("sh.next"), &state).unwrap(),
        }
        for e in marked(&b.script, "# expect:") {
            if !printed.contains(e) {
                problems.push(format!("does not print `{e}`"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "docs/grpcurl.md block at line {}: {}\n{printed}",
                b.line,
                problems.join("; ")
            ));
        }
    }
    drop(suite);
    println!("docs/grpcurl.md: {} blocks run", blocks.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
