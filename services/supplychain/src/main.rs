//! `symbolon-supplychain`: reads configuration, starts telemetry, runs the service.

use symbolon_platform::runtime::{self, Scheduler};
use symbolon_supplychain::{Application, SupplyChainConfig};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    runtime::serve(
        "supplychain",
        Scheduler::CurrentThreadWhenOne,
        |env| async move { Ok(Application::serve(SupplyChainConfig::from_env(&env)?).await?) },
    )
}
