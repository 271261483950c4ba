//! `symbolon-supplychain`: reads configuration, starts telemetry, runs the service.

use symbolon_platform::{config::Env, telemetry};
use symbolon_supplychain::{Application, SupplyChainConfig};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("supplychain", telemetry::LogFormat::Json)?;
    let config = SupplyChainConfig::from_env(&Env::process("supplychain"))?;
    let app = Application::build(config).await?;
    app.run_until_stopped().await?;
    Ok(())
}
