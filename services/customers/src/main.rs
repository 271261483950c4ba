//! `symbolon-customers`: reads configuration, starts telemetry, runs the service.

use symbolon_customers::{Application, CustomersConfig};
use symbolon_platform::runtime::{self, Scheduler};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    runtime::serve(
        "customers",
        Scheduler::CurrentThreadWhenOne,
        |env| async move { Ok(Application::serve(CustomersConfig::from_env(&env)?).await?) },
    )
}
