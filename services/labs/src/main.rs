//! `symbolon-labs`: reads configuration, starts telemetry, runs the service.

use symbolon_labs::{Application, LabsConfig};
use symbolon_platform::{config::Env, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("labs", telemetry::LogFormat::Json)?;
    let config = LabsConfig::from_env(&Env::process("labs"))?;
    let app = Application::build(config).await?;
    app.run_until_stopped().await?;
    Ok(())
}
