//! `symbolon-labs`: reads configuration, starts telemetry, runs the service.

use symbolon_labs::{Application, LabsConfig};
use symbolon_platform::runtime::{self, Scheduler};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    runtime::serve("labs", Scheduler::MultiThread, |env| async move {
        Ok(Application::serve(LabsConfig::from_env(&env)?).await?)
    })
}
