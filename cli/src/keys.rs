//! Key files as the command writes them: a private key is created with mode 0600 (never
//! world-readable, not even for an instant) and an existing key is kept unless the
//! caller asks to replace it.

use anyhow::Context;
use std::{fs::OpenOptions, io::Write, path::Path};

/// Writes `contents` to a new file at `path`, readable by its owner only when
/// `private`. Refuses to touch an existing file unless `force`.
fn write_new(path: &Path, contents: &[u8], private: bool, force: bool) -> anyhow::Result<()> {
    if force && path.exists() {
        std::fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} exists already; pass --force to replace it",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("creating {}", path.display()))
        }
    })?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes a key pair. With `force` unset, nothing is written if either file exists.
pub(crate) fn write_pair(
    private_path: &Path,
    private: &[u8],
    public_path: &Path,
    public: &[u8],
    force: bool,
) -> anyhow::Result<()> {
    if !force {
        for p in [private_path, public_path] {
            anyhow::ensure!(
                !p.exists(),
                "{} exists already; pass --force to replace it",
                p.display()
            );
        }
    }
    if let Some(dir) = private_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_new(private_path, private, true, force)?;
    write_new(public_path, public, false, force)
}
