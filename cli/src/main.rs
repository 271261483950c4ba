//! `symbolon`: the command line of the suite.
//!
//! - `symbolon dev [--demo]` runs every service locally on SQLite, with a development
//!   key pair, and prints ready-to-use grpcurl commands.
//! - `symbolon token --org … --role …` mints a development token.
//! - `symbolon keygen --out-dir DIR` writes a fresh Ed25519 key pair for tokens.
//!
//! A failed command prints one line (`error: CODE: message; details…`, see `report`)
//! and exits with status 1.

mod demo;
mod dev;
mod keys;
mod report;
mod tools;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::{path::PathBuf, time::Duration};
use symbolon_platform::auth::{DevKeys, Minter, Org};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "symbolon",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SYMBOLON_GIT_COMMIT"), ")"),
    about = "The Symbolon suite: run it, mint tokens, manage data."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole suite locally on SQLite files in the data directory.
    Dev(dev::DevArgs),
    /// Mint a development token signed with the local private key.
    Token {
        /// `vendor` or `customers/{id}`.
        #[arg(long, default_value = "vendor")]
        org: String,
        /// A role; repeat for several (e.g. `--role admin`, `--role department:legal`).
        #[arg(long = "role", default_value = "admin")]
        roles: Vec<String>,
        /// The subject (`sub` claim).
        #[arg(long, default_value = "dev")]
        sub: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 12 * 3600)]
        ttl: u64,
        /// The private key (PEM).
        #[arg(long, default_value = ".symbolon/jwt-private.pem")]
        key: PathBuf,
        /// Issuer claim.
        #[arg(long, default_value = "symbolon")]
        issuer: String,
        /// Audience claim.
        #[arg(long, default_value = "symbolon")]
        audience: String,
    },
    /// Co-signed release statements: keygen, sign, export, verify offline.
    #[command(subcommand)]
    Release(tools::Release),
    /// Hash-chained lab logs: export, verify offline.
    #[command(subcommand)]
    Log(tools::Log),
    /// Country factors for supply-chain scoring: import a CSV.
    #[command(subcommand)]
    Factors(tools::Factors),
    /// Service-quality standards: print the default, upload one.
    #[command(subcommand)]
    Quality(tools::Quality),
    /// Write a fresh Ed25519 key pair (`jwt-private.pem`, `jwt-public.pem`).
    Keygen {
        /// Where to write the files.
        #[arg(long, default_value = ".symbolon")]
        out_dir: PathBuf,
        /// Replace an existing key pair.
        #[arg(long)]
        force: bool,
    },
}

/// Parses `vendor` or `customers/{id}`.
pub(crate) fn parse_org(s: &str) -> anyhow::Result<Org> {
    if s == "vendor" {
        return Ok(Org::Vendor);
    }
    let id = s
        .strip_prefix("customers/")
        .ok_or_else(|| anyhow::anyhow!("--org must be `vendor` or `customers/{{id}}`"))?;
    symbolon_platform::names::check_id(id)?;
    Ok(Org::Customer(id.to_string()))
}

/// The token key pair's paths in `dir`.
fn key_paths(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    (dir.join("jwt-private.pem"), dir.join("jwt-public.pem"))
}

/// Writes a fresh token key pair into `dir` (refusing to replace one unless `force`).
fn write_keys(dir: &std::path::Path, force: bool) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (private, public) = key_paths(dir);
    let keys = DevKeys::generate().map_err(anyhow::Error::msg)?;
    keys::write_pair(
        &private,
        keys.private_pem.as_bytes(),
        &public,
        keys.public_pem.as_bytes(),
        force,
    )?;
    Ok((private, public))
}

/// The key pair in `dir`, written first if there is none (what `symbolon dev` uses).
pub(crate) fn ensure_keys(dir: &std::path::Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (private, public) = key_paths(dir);
    if private.exists() && public.exists() {
        return Ok((private, public));
    }
    write_keys(dir, true)
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", report::error_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Dev(args) => runtime()?.block_on(dev::run(args)),
        Command::Release(cmd) => runtime()?.block_on(tools::release(cmd)),
        Command::Log(cmd) => runtime()?.block_on(tools::log(cmd)),
        Command::Factors(cmd) => runtime()?.block_on(tools::factors(cmd)),
        Command::Quality(cmd) => runtime()?.block_on(tools::quality(cmd)),
        Command::Token {
            org,
            roles,
            sub,
            ttl,
            key,
            issuer,
            audience,
        } => {
            let pem = std::fs::read(&key).with_context(|| {
                format!(
                    "reading {} (run `symbolon keygen` or `symbolon dev` first)",
                    key.display()
                )
            })?;
            let minter = Minter::from_pem(&pem, &issuer, &audience).map_err(anyhow::Error::msg)?;
            let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
            let token = minter
                .mint(&sub, &parse_org(&org)?, &roles, Duration::from_secs(ttl))
                .map_err(anyhow::Error::msg)?;
            println!("{token}");
            Ok(())
        }
        Command::Keygen { out_dir, force } => {
            let (private, public) = write_keys(&out_dir, force)?;
            println!("{}\n{}", private.display(), public.display());
            Ok(())
        }
    }
}
