//! `symbolon-echo`: the bare tonic echo server, the baseline of every benchmark.
//!
//! Same tonic version, Tokio multi-thread runtime and global allocator (mimalloc) as the
//! services, TCP_NODELAY on accepted connections, and nothing else: no authentication, tracing, limits or storage.

use clap::Parser;
use std::net::SocketAddr;
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
