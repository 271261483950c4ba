//! `symbolon-customers`: reads configuration, starts telemetry, runs the service.

use symbolon_customers::{Application, CustomersConfig};
use symbolon_platform::{config::Env, runtime, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let env = Env::process("customers");
    runtime::build(&env, runtime::Scheduler::CurrentThreadWhenOne)?.block_on(async {
        let _telemetry = telemetry::init("customers", telemetry::LogFormat::Json)?;
        let config = CustomersConfig::from_env(&env)?;
        let app = Application::build(config).await?;
        app.run_until_stopped().await?;
        Ok(())
    })
}
