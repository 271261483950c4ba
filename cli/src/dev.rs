//! `symbolon dev`: every service in one process, on SQLite files in a data directory.

use crate::{demo, ensure_keys};
use anyhow::Context;
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use symbolon_customers::{Application as Customers, CustomersConfig};
use symbolon_platform::{
    auth::{Minter, Org},
    config::Env,
    telemetry,
};

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
}

pub(crate) async fn run(args: DevArgs) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("symbolon-dev", telemetry::LogFormat::Text)?;
    let (private, public) = ensure_keys(&args.data_dir)?;
    let data = args.data_dir.display().to_string();
    let public_key = public.display().to_string();
    let lookup = |service: &'static str, addr: SocketAddr| {
        let data = data.clone();
        let public_key = public_key.clone();
        move |k: &str| -> Option<String> {
            if let Ok(v) = std::env::var(k) {
                return Some(v);
            }
            let upper = service.to_uppercase();
            match k.strip_prefix(&format!("SYMBOLON_{upper}_")) {
                Some("DATABASE_URL") => Some(format!("sqlite://{data}/{service}.db?mode=rwc")),
                Some("LISTEN_ADDR") => Some(addr.to_string()),
                Some("JWT_PUBLIC_KEY_FILE") => Some(public_key.clone()),
                _ => None,
            }
        }
    };

    let customers_config = CustomersConfig::from_env(&Env::from_fn(
        "customers",
        lookup("customers", args.customers_addr),
    ))?;
    let customers = Customers::build(customers_config)
        .await
        .context("starting customers")?;
    let customers_addr = customers.local_addr();
    let customers_task = tokio::spawn(customers.run_until_stopped());

    let pem = std::fs::read(&private)?;
    let minter = Minter::from_pem(&pem, "symbolon", "symbolon").map_err(anyhow::Error::msg)?;
    let admin = minter
        .mint(
            "dev-admin",
            &Org::Vendor,
            &["admin"],
            Duration::from_secs(12 * 3600),
        )
        .map_err(anyhow::Error::msg)?;
    if args.demo {
        let summary = demo::load(&format!("http://{customers_addr}"), &admin).await?;
        println!("demo data: {summary}");
    }

    println!(
        "\nSymbolon is running (data in {data}).\n  customers     {customers_addr}\n\n\
         A vendor admin token (12 h) is in $TOKEN after:\n  export TOKEN=$(cargo run -q -p symbolon -- token --org vendor --role admin)\n\n\
         Try:\n  grpcurl -plaintext {customers_addr} list\n  \
         grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {customers_addr} symbolon.customers.v1.CustomersService/ListCustomers\n  \
         grpcurl -plaintext {customers_addr} grpc.health.v1.Health/Check\n\nCtrl-C stops everything.\n"
    );

    // Each service drains on SIGINT/SIGTERM by itself; wait for all of them.
    customers_task.await??;
    Ok(())
}
