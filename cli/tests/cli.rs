//! The `symbolon` command as a person meets it, through the real binary: key files,
//! addresses, the hints `symbolon dev` prints, and what a failed call prints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_symbolon");

fn symbolon(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run symbolon")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `symbolon dev` on free ports in a fresh data directory; killed when dropped.
struct Dev {
    child: Child,
    customers: String,
    labs: String,
    /// Everything it printed up to "Ctrl-C stops everything."
    banner: String,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dev(data_dir: &Path) -> Dev {
    let (c, l, s) = (free_port(), free_port(), free_port());
    let (customers, labs) = (format!("127.0.0.1:{c}"), format!("127.0.0.1:{l}"));
    let mut child = Command::new(BIN)
        .args(["dev", "--data-dir"])
        .arg(data_dir)
        .args(["--customers-addr", &customers, "--labs-addr", &labs])
        .args(["--supplychain-addr", &format!("127.0.0.1:{s}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start symbolon dev");
    let mut banner = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let Some(Ok(line)) = lines.next() else { break };
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Ctrl-C stops everything") {
            // Keep draining so the process never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return Dev {
                child,
                customers,
                labs,
                banner,
            };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("symbolon dev did not start:\n{banner}");
}

#[test]
fn version_names_the_commit() {
    let out = symbolon(&["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("symbolon 0."), "{text}");
    assert!(text.contains("(commit "), "{text}");
}

#[cfg(unix)]
#[test]
fn key_files_are_private_and_never_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let keys_arg = keys.to_str().unwrap();
    let private = keys.join("jwt-private.pem");

    assert!(
        symbolon(&["keygen", "--out-dir", keys_arg])
            .status
            .success()
    );
    assert_eq!(mode(&private), 0o600);
    let first = std::fs::read(&private).unwrap();

    let again = symbolon(&["keygen", "--out-dir", keys_arg]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read(&private).unwrap(),
        first,
        "the key was replaced"
    );

    assert!(
        symbolon(&["keygen", "--out-dir", keys_arg, "--force"])
            .status
            .success()
    );
    assert_ne!(std::fs::read(&private).unwrap(), first);
    assert_eq!(mode(&private), 0o600);

    let signer = |force: bool| {
        let mut args = vec!["release", "keygen", "--name", "cto", "--out-dir", keys_arg];
        if force {
            args.push("--force");
        }
        symbolon(&args)
    };
    assert!(signer(false).status.success());
    let cto = keys.join("cto.pem");
    assert_eq!(mode(&cto), 0o600);
    let first = std::fs::read(&cto).unwrap();
    assert!(!signer(false).status.success());
    assert_eq!(std::fs::read(&cto).unwrap(), first);
    assert!(signer(true).status.success());
    assert_ne!(std::fs::read(&cto).unwrap(), first);
}

#[test]
fn dev_hints_work_as_printed_and_failed_calls_print_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("elsewhere");
    let suite = dev(&data);

    // The token hint names this data directory's key, and the command it prints works.
    let key = data.join("jwt-private.pem");
    let hint = format!("token --org vendor --role admin --key {}", key.display());
    assert!(suite.banner.contains(&hint), "{}", suite.banner);
    let token = symbolon(&["token", "--key", key.to_str().unwrap()]);
    assert!(token.status.success(), "{}", stderr(&token));
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();

    // host:port and http://host:port both reach the service.
    let standard = dir.path().join("standard.json");
    let printed = symbolon(&["quality", "default-standard"]);
    std::fs::write(&standard, &printed.stdout).unwrap();
    let upload = |addr: &str| {
        Command::new(BIN)
            .args(["quality", "upload", "--id", "support-chat", "--file"])
            .arg(&standard)
            .args(["--addr", addr])
            .env("SYMBOLON_TOKEN", &token)
            .output()
            .unwrap()
    };
    let created = upload(&suite.customers);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(String::from_utf8_lossy(&created.stdout).contains("standards/support-chat"));

    // The same standard again: one line with the code, the message and the details.
    let refused = upload(&format!("http://{}", suite.customers));
    assert_eq!(refused.status.code(), Some(1));
    let text = stderr(&refused);
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    assert!(text.starts_with("error: ALREADY_EXISTS: "), "{text}");
    assert!(text.contains("reason ALREADY_EXISTS"), "{text}");
    assert!(
        !text.contains("Status {") && !text.contains("backtrace"),
        "{text}"
    );

    // A malformed name: INVALID_ARGUMENT with the field violation spelled out.
    let bad = Command::new(BIN)
        .args(["release", "export", "--release", "not-a-release"])
        .args(["--addr", &suite.labs])
        .env("SYMBOLON_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let text = stderr(&bad);
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    assert!(
        text.starts_with("error: ExportRelease: INVALID_ARGUMENT: "),
        "{text}"
    );
    assert!(text.contains("field `name`"), "{text}");

    // Nothing listening: the address is named, one line, exit 1.
    let down = Command::new(BIN)
        .args(["release", "export", "--release", "labs/l/releases/r"])
        .args(["--addr", &format!("127.0.0.1:{}", free_port())])
        .env("SYMBOLON_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    assert!(stderr(&down).starts_with("error: connecting to http://127.0.0.1:"));
}
