//! `symbolon-labs`: reads configuration, starts telemetry, runs the service.

use symbolon_labs::{Application, LabsConfig};
use symbolon_platform::{config::Env, runtime, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let env = Env::process("labs");
    runtime::build(&env, runtime::Scheduler::MultiThread)?.block_on(async {
        let _telemetry = telemetry::init("labs", telemetry::LogFormat::Json)?;
        let config = LabsConfig::from_env(&env)?;
        let app = Application::build(config).await?;
        app.run_until_stopped().await?;
        Ok(())
    })
}
