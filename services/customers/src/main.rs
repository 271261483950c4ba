//! `symbolon-customers`: reads configuration, starts telemetry, runs the service.

use symbolon_customers::{Application, CustomersConfig};
use symbolon_platform::{config::Env, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("customers", telemetry::LogFormat::Json)?;
    let config = CustomersConfig::from_env(&Env::process("customers"))?;
    let app = Application::build(config).await?;
    app.run_until_stopped().await?;
    Ok(())
}
