//! Throughput and latency of the TCP transport between two local agents:
//! `cargo bench -p ballet-runtime --bench net`. Under `cargo test` (no
//! `--bench` argument) it runs a hundredth of the work, as a smoke test.

use std::time::{Duration, Instant};

use ballet_runtime::net::{start_on, ClusterKeys, NetConfig};
use ballet_runtime::SiteId;
use tokio::net::TcpListener;

async fn pair() -> (
    (ballet_runtime::net::Sender, ballet_runtime::net::Receiver),
    (ballet_runtime::net::Sender, ballet_runtime::net::Receiver),
) {
    let keys = ClusterKeys::generate(&["a".into(), "b".into()]).expect("keys");
    let la = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let lb = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (aa, ab) = (la.local_addr().expect("a"), lb.local_addr().expect("b"));
    let config = |me: u32, peer: u32, addr: std::net::SocketAddr| NetConfig {
        site: SiteId(me),
        peers: vec![(SiteId(peer), addr.to_string())],
        listen: String::new(),
        credentials: keys.credentials(SiteId(me)).expect("creds"),
        max_frame: 1 << 20,
        state_dir: None,
    };
    let a = start_on(la, config(0, 1, ab)).await.expect("a");
    let b = start_on(lb, config(1, 0, aa)).await.expect("b");
    (a, b)
}

fn main() {
    let scale = if std::env::args().any(|a| a == "--bench") {
        1
    } else {
        100
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ((a, mut ra), (b, mut rb)) = pair().await;
        // Warm up: connections up both ways.
        a.send(SiteId(1), vec![0]).expect("send");
        rb.recv().await.expect("warm");
        b.send(SiteId(0), vec![0]).expect("send");
        ra.recv().await.expect("warm");

        for size in [64usize, 1024] {
            let n = 200_000 / (size / 64).max(1) / scale;
            let start = Instant::now();
            for i in 0..n {
                let mut p = vec![0u8; size];
                p[..8].copy_from_slice(&(i as u64).to_le_bytes());
                a.send(SiteId(1), p).expect("send");
            }
            for _ in 0..n {
                rb.recv().await.expect("recv");
            }
            let secs = start.elapsed().as_secs_f64();
            println!(
                "throughput, {size}-byte payloads: {n} in {secs:.3} s = {:.0} payloads/s ({:.1} MB/s)",
                n as f64 / secs,
                (n * size) as f64 / secs / 1e6
            );
        }

        // One payload at a time, the link otherwise idle.
        let mut one_way: Vec<Duration> = Vec::new();
        for _ in 0..2000 / scale {
            let start = Instant::now();
            a.send(SiteId(1), vec![1; 64]).expect("send");
            rb.recv().await.expect("recv");
            one_way.push(start.elapsed());
        }
        one_way.sort();
        let at = |q: f64| one_way[((one_way.len() - 1) as f64 * q) as usize];
        println!(
            "latency of one 64-byte payload (send -> recv): median {:?}, p99 {:?}, max {:?}",
            at(0.5),
            at(0.99),
            at(1.0)
        );
        a.shutdown().await;
        b.shutdown().await;
    });
}
