//! `symbolon-supplychain`: reads configuration, starts telemetry, runs the service.

use symbolon_platform::{config::Env, runtime, telemetry};
use symbolon_supplychain::{Application, SupplyChainConfig};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let env = Env::process("supplychain");
    runtime::build(&env, runtime::Scheduler::CurrentThreadWhenOne)?.block_on(async {
        let _telemetry = telemetry::init("supplychain", telemetry::LogFormat::Json)?;
        let config = SupplyChainConfig::from_env(&env)?;
        let app = Application::build(config).await?;
        app.run_until_stopped().await?;
        Ok(())
    })
}
