//! `symbolon dev`: every service in one process, on SQLite files in a data directory.

use crate::{demo, ensure_keys};
use anyhow::Context;
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use symbolon_customers::{Application as Customers, CustomersConfig};
use symbolon_labs::{Application as Labs, LabsConfig};
use symbolon_platform::{
    auth::{Minter, Org},
    config::Env,
    telemetry,
};
use symbolon_supplychain::{Application as SupplyChain, SupplyChainConfig};
use tonic::transport::Channel;

/// Flags of `symbolon dev`.
#[derive(clap::Args)]
pub(crate) struct DevArgs {
    /// Load demo data (idempotent: running it twice changes nothing).
    #[arg(long)]
    demo: bool,
    /// Where the SQLite files and the development key pair live.
    #[arg(long, default_value = ".symbolon")]
    data_dir: PathBuf,
    /// Address of the customers service.
    #[arg(long, default_value = "127.0.0.1:50051")]
    customers_addr: SocketAddr,
    /// Address of the labs service.
    #[arg(long, default_value = "127.0.0.1:50052")]
    labs_addr: SocketAddr,
    /// Address of the supply-chain service.
    #[arg(long, default_value = "127.0.0.1:50053")]
    supplychain_addr: SocketAddr,
}

/// Settings of one service in the dev suite: the process environment wins, then the
/// dev defaults (SQLite in the data directory, the dev public key, the given address,
/// the other services' dev addresses).
fn settings(
    args: &DevArgs,
    public_key: &str,
    service: &'static str,
    addr: SocketAddr,
) -> impl Fn(&str) -> Option<String> + use<> {
    let data = args.data_dir.display().to_string();
    let public_key = public_key.to_string();
    let customers = format!("http://{}", args.customers_addr);
    let supplychain = format!("http://{}", args.supplychain_addr);
    move |k: &str| -> Option<String> {
        if let Ok(v) = std::env::var(k) {
            return Some(v);
        }
        let upper = service.to_uppercase();
        match k.strip_prefix(&format!("SYMBOLON_{upper}_")) {
            Some("DATABASE_URL") => Some(format!("sqlite://{data}/{service}.db?mode=rwc")),
            Some("LISTEN_ADDR") => Some(addr.to_string()),
            Some("JWT_PUBLIC_KEY_FILE") => Some(public_key.clone()),
            Some("CUSTOMERS_URL") => Some(customers.clone()),
            Some("SUPPLYCHAIN_URL") => Some(supplychain.clone()),
            Some("SERVICE_TOKEN_FILE") => Some(format!("{data}/customers-service.token")),
            // No load balancer to tell on a workstation: Ctrl-C drains at once.
            Some("SHUTDOWN_DELAY_MS") => Some("0".to_string()),
            _ => None,
        }
    }
}

/// How this very command is invoked: `cargo run -q -p symbolon --` when it runs from a
/// cargo build directory, else the installed binary's name.
fn invocation() -> String {
    let exe = std::env::current_exe().ok();
    let from_cargo = exe.as_deref().is_some_and(|p| {
        let mut parts = p
            .components()
            .rev()
            .map(|c| c.as_os_str().to_string_lossy());
        let (_bin, profile, target) = (parts.next(), parts.next(), parts.next());
        target.as_deref() == Some("target")
            || profile
                .as_deref()
                .is_some_and(|d| d == "debug" || d == "release")
                && std::env::var_os("CARGO").is_some()
    });
    if from_cargo {
        return "cargo run -q -p symbolon --".to_string();
    }
    exe.as_deref()
        .and_then(|p| p.file_name())
        .map_or_else(|| "symbolon".into(), |n| n.to_string_lossy().into_owned())
}

/// The token command to print: it names the key of this data directory unless that is
/// the default one `symbolon token` reads anyway.
pub(crate) fn token_hint(data_dir: &std::path::Path) -> String {
    let mut hint = format!("{} token --org vendor --role admin", invocation());
    if data_dir != std::path::Path::new(".symbolon") {
        hint.push_str(&format!(
            " --key {}",
            data_dir.join("jwt-private.pem").display()
        ));
    }
    hint
}

async fn channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}

pub(crate) async fn run(args: DevArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("symbolon-dev", telemetry::LogFormat::Text)?;
    let (private, public) = ensure_keys(&args.data_dir)?;
    let public_key = public.display().to_string();

    // The customers service follows the supply-chain risk stream with its own token: an
    // analyst's (it only reads), within the 24 h lifetime tokens may have, so it is
    // minted again every 12 h (the consumer reads the file at each connect).
    let minter = Minter::from_pem(&std::fs::read(&private)?, "symbolon", "symbolon")
        .map_err(anyhow::Error::msg)?;
    let token_path = args.data_dir.join("customers-service.token");
    let mint_service_token = {
        let minter = minter.clone();
        let path = token_path.clone();
        move || -> anyhow::Result<()> {
            let token = minter
                .mint(
                    "service:customers",
                    &Org::Vendor,
                    &["analyst"],
                    Duration::from_secs(24 * 3600),
                )
                .map_err(anyhow::Error::msg)?;
            std::fs::write(&path, token)?;
            Ok(())
        }
    };
    mint_service_token()?;
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(12 * 3600));
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = mint_service_token() {
                tracing::warn!(error = %e, "cannot renew the customers service token");
            }
        }
    });

    let env = |service, addr| Env::from_fn(service, settings(&args, &public_key, service, addr));
    let supplychain = SupplyChain::build(SupplyChainConfig::from_env(&env(
        "supplychain",
        args.supplychain_addr,
    ))?)
    .await
    .context("starting supply-chain")?;
    let customers = Customers::build(CustomersConfig::from_env(&env(
        "customers",
        args.customers_addr,
    ))?)
    .await
    .context("starting customers")?;
    let labs = Labs::build(LabsConfig::from_env(&env("labs", args.labs_addr))?)
        .await
        .context("starting labs")?;
    let (customers_addr, labs_addr, supplychain_addr) = (
        customers.local_addr(),
        labs.local_addr(),
        supplychain.local_addr(),
    );
    // Each service drains on SIGINT/SIGTERM by itself.
    let tasks = [
        tokio::spawn(customers.run_until_stopped()),
        tokio::spawn(labs.run_until_stopped()),
        tokio::spawn(supplychain.run_until_stopped()),
    ];

    if args.demo {
        let admin = minter
            .mint(
                "dev-admin",
                &Org::Vendor,
                &["admin"],
                Duration::from_secs(3600),
            )
            .map_err(anyhow::Error::msg)?;
        let crm = demo::load(&format!("http://{customers_addr}"), &admin).await?;
        println!("demo customers: {crm}");
        let sc =
            symbolon_supplychain::demo::load_demo(channel(supplychain_addr).await?, &admin).await?;
        println!("demo supply chain: {sc}");
        let labs_demo = symbolon_labs::demo::load_demo(
            channel(labs_addr).await?,
            channel(customers_addr).await?,
            &minter,
        )
        .await?;
        println!("demo labs: {labs_demo}");
    }

    let data = args.data_dir.display();
    let token_command = token_hint(&args.data_dir);
    println!(
        "\nSymbolon is running (data in {data}).\n  customers     {customers_addr}\n  labs          {labs_addr}\n  supply-chain  {supplychain_addr}\n\n\
         A vendor admin token (12 h):\n  export TOKEN=$({token_command})\n\n\
         Try:\n  grpcurl -plaintext {customers_addr} list\n  \
         grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {customers_addr} symbolon.customers.v1.CustomersService/ListCustomers\n  \
         grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {labs_addr} symbolon.labs.v1.LabsService/ListLabs\n  \
         grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{\"site\":{{\"country\":\"DE\",\"location\":{{\"latitude\":50.11,\"longitude\":8.68}}}},\"part_numbers\":[\"RRU-5258\"],\"window\":\"14400s\"}}' {supplychain_addr} symbolon.supplychain.v1.SupplyChainService/AssessCoverage\n  \
         grpcurl -plaintext {customers_addr} grpc.health.v1.Health/Check\n\nCtrl-C stops everything.\n"
    );
    for t in tasks {
        t.await??;
    }
    Ok(())
}
