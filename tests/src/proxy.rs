//! A fault-injecting TCP proxy for drills: it forwards bytes between its clients and
//! one upstream address until told to `pause` (hold every byte and every new
//! connection, as a database that stopped answering), `reset` (close every connection
//! and refuse new ones, as a database that is gone) or `resume`.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, tcp::OwnedReadHalf, tcp::OwnedWriteHalf},
    sync::watch,
    task::AbortHandle,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Pass,
    Pause,
    Reset,
}

/// The proxy; stops when dropped.
pub struct FaultProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    mode: watch::Sender<Mode>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl FaultProxy {
    /// Listens on a loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = watch::Sender::new(Mode::Pass);
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = {
            let (mode, conns) = (mode.clone(), conns.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    if *mode.borrow() == Mode::Reset {
                        drop(client);
                        continue;
                    }
                    let task = tokio::spawn(forward(client, upstream, mode.subscribe()));
                    let mut conns = conns.lock().unwrap();
                    conns.retain(|c| !c.is_finished());
                    conns.push(task.abort_handle());
                }
            })
            .abort_handle()
        };
        Self {
            addr,
            mode,
            conns,
            accept,
        }
    }

    /// Holds every byte in both directions and every new connection until `resume`.
    pub fn pause(&self) {
        self.mode.send_replace(Mode::Pause);
    }

    /// Forwards again; held bytes go through.
    pub fn resume(&self) {
        self.mode.send_replace(Mode::Pass);
    }

    /// Closes every connection and refuses new ones until `resume`.
    pub fn reset(&self) {
        self.mode.send_replace(Mode::Reset);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

/// Waits while paused; false once reset.
async fn passing(mode: &mut watch::Receiver<Mode>) -> bool {
    loop {
        match *mode.borrow_and_update() {
            Mode::Pass => return true,
            Mode::Reset => return false,
            Mode::Pause => {}
        }
        if mode.changed().await.is_err() {
            return false;
        }
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    // A paused upstream answers nothing: hold the client until it resumes.
    if !passing(&mut mode).await {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    tokio::select! {
        () = pump(cr, sw, mode.clone()) => {}
        () = pump(sr, cw, mode) => {}
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut mode: watch::Receiver<Mode>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !passing(&mut mode).await || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
