//! `symbolon-echo`: the bare tonic echo server, the baseline of every benchmark.
//!
//! Same tonic version, Tokio multi-thread runtime and global allocator (mimalloc) as the
//! services, TCP_NODELAY on accepted connections, and nothing else: no authentication, tracing, limits or storage.

use clap::Parser;
use std::net::SocketAddr;
use symbolon_platform::{config::Env, runtime};
use tonic::transport::{Server, server::TcpIncoming};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The bare tonic echo server.
#[derive(Debug, Parser)]
#[command(name = "symbolon-echo", version)]
struct Args {
    /// Address to listen on (port 0 picks a free one, printed on start).
    #[arg(long, env = "SYMBOLON_LISTEN_ADDR", default_value = "127.0.0.1:50050")]
    addr: SocketAddr,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The services' runtime, sized the same way (SYMBOLON_WORKER_THREADS).
    runtime::build(
        &Env::process("echo"),
        runtime::Scheduler::CurrentThreadWhenOne,
    )?
    .block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let incoming = TcpIncoming::bind(args.addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.addr))?
        .with_nodelay(Some(true));
    let addr = incoming.local_addr()?;
    eprintln!("symbolon-echo listening on {addr}");
    Server::builder()
        .tcp_nodelay(true)
        .add_service(symbolon_bench::echo::service())
        .serve_with_incoming_shutdown(incoming, shutdown())
        .await?;
    Ok(())
}

/// SIGINT or SIGTERM.
async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
