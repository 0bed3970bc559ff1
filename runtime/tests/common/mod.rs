//! Helpers of the transport tests: clusters of agents on loopback ports.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ballet_runtime::net::{start_on, ClusterKeys, NetConfig, NetStats, Receiver, Sender};
use ballet_runtime::SiteId;
use tokio::net::TcpListener;

/// Every wait of a test is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A cluster of `n` sites: keys and loopback listeners on free ports.
pub struct Cluster {
    pub keys: ClusterKeys,
    pub addrs: Vec<SocketAddr>,
    pub listeners: Vec<Option<TcpListener>>,
}

impl Cluster {
    pub async fn new(n: usize) -> Self {
        let names: Vec<String> = (0..n).map(|i| format!("site_{i}")).collect();
        let keys = ClusterKeys::generate(&names).expect("keys");
        let mut listeners = Vec::new();
        let mut addrs = Vec::new();
        for _ in 0..n {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addrs.push(l.local_addr().expect("addr"));
            listeners.push(Some(l));
        }
        Cluster {
            keys,
            addrs,
            listeners,
        }
    }

    /// The configuration of site `i`, every other site a peer.
    pub fn config(&self, i: usize, state_dir: Option<PathBuf>) -> NetConfig {
        NetConfig {
            site: SiteId::from_index(i),
            peers: (0..self.addrs.len())
                .filter(|&j| j != i)
                .map(|j| (SiteId::from_index(j), self.addrs[j].to_string()))
                .collect(),
            listen: self.addrs[i].to_string(),
            credentials: self.keys.credentials(SiteId::from_index(i)).expect("creds"),
            max_frame: 1 << 20,
            state_dir,
        }
    }

    /// Starts site `i` on its listener (bound again if it was used).
    pub async fn start(&mut self, i: usize, state_dir: Option<PathBuf>) -> (Sender, Receiver) {
        let listener = match self.listeners[i].take() {
            Some(l) => l,
            None => TcpListener::bind(self.addrs[i]).await.expect("rebind"),
        };
        start_on(listener, self.config(i, state_dir))
            .await
            .expect("start")
    }
}

/// The next payload, or a failure after [`LIMIT`].
pub async fn recv(rx: &mut Receiver) -> (SiteId, Vec<u8>) {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("a payload within the limit")
        .expect("transport running")
}

/// The payload numbered `i`.
pub fn payload(i: u32) -> Vec<u8> {
    i.to_le_bytes().to_vec()
}

/// The number in a payload.
pub fn number(p: &[u8]) -> u32 {
    u32::from_le_bytes(p.try_into().expect("4 bytes"))
}

/// Waits until the counters satisfy `ok`.
pub async fn wait_stats(sender: &Sender, ok: impl FnMut(&NetStats) -> bool) -> NetStats {
    let mut watch = sender.watch_stats();
    let stats = tokio::time::timeout(LIMIT, watch.wait_for(ok))
        .await
        .expect("counters within the limit")
        .expect("transport running");
    *stats
}

/// A fresh empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ballet-net-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
