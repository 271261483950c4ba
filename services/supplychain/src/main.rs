//! `symbolon-supplychain`: reads configuration, starts telemetry, runs the service.

use symbolon_platform::runtime;
use symbolon_supplychain::{Application, SupplyChainConfig};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    runtime::serve(
        "supplychain",
        runtime::Scheduler::CurrentThreadWhenOne,
        |env| async move { Ok(Application::serve(SupplyChainConfig::from_env(&env)?).await?) },
    )
}
