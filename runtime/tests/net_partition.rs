//! A partition over real TCP: two sites whose links go through wires (TCP
//! forwarders) that are cut (every connection closed, new ones dropped
//! after accept) while both sides go on sending, then healed. Everything
//! sent before, during and after the partition arrives once, in order,
//! both ways, and both links come back.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ballet_runtime::net::start_on;
use ballet_runtime::SiteId;
use common::{payload, recv, wait_stats, Cluster};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Payloads each way, in three thirds: before, during and after the cut.
const N: u32 = 300;

/// A TCP forwarder to one site's listener that can be cut and healed.
struct Wire {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Wire {
    async fn to(target: SocketAddr) -> Wire {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (is_cut, live) = (cut.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_cut.load(Ordering::SeqCst) {
                    continue;
                }
                let forward = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                live.lock().expect("lock").push(forward);
            }
        });
        Wire {
            addr,
            cut,
            connections,
        }
    }

    /// Closes every connection and drops new ones until healed.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for c in self.connections.lock().expect("lock").drain(..) {
            c.abort();
        }
    }

    fn heal(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_then_healed_loses_and_repeats_nothing() {
    let mut cluster = Cluster::new(2).await;
    // Each site calls the other through a wire.
    let wires = [
        Wire::to(cluster.addrs[0]).await,
        Wire::to(cluster.addrs[1]).await,
    ];
    let mut ends = Vec::new();
    for i in 0..2 {
        let listener = cluster.listeners[i].take().expect("a listener");
        let mut config = cluster.config(i, None);
        let other = 1 - i;
        config.peers = vec![(SiteId::from_index(other), wires[other].addr.to_string())];
        ends.push(start_on(listener, config).await.expect("start"));
    }
    let (b_tx, mut b_rx) = ends.pop().expect("site 1");
    let (a_tx, mut a_rx) = ends.pop().expect("site 0");
    wait_stats(&a_tx, |s| s.connected >= 1).await;
    wait_stats(&b_tx, |s| s.connected >= 1).await;

    let third = N / 3;
    let send = |from: &ballet_runtime::net::Sender, to: u32, range: std::ops::Range<u32>| {
        for i in range {
            from.send(SiteId(to), payload(i)).expect("send");
        }
    };
    send(&a_tx, 1, 0..third);
    send(&b_tx, 0, 0..third);
    for i in 0..third {
        assert_eq!(recv(&mut b_rx).await, (SiteId(0), payload(i)));
        assert_eq!(recv(&mut a_rx).await, (SiteId(1), payload(i)));
    }

    // The partition: both links down, both sides still sending.
    for w in &wires {
        w.cut();
    }
    send(&a_tx, 1, third..2 * third);
    send(&b_tx, 0, third..2 * third);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Nothing of the second third can have been acknowledged.
    assert!(
        a_tx.unacked() >= third as usize && b_tx.unacked() >= third as usize,
        "the partition cut nothing"
    );

    // Healed: the dialers call again (backoff) and resume where the
    // acknowledgements left off.
    for w in &wires {
        w.heal();
    }
    send(&a_tx, 1, 2 * third..N);
    send(&b_tx, 0, 2 * third..N);
    let mut next = [third; 2];
    while next != [N, N] {
        tokio::select! {
            got = recv(&mut b_rx), if next[1] < N => {
                assert_eq!(got, (SiteId(0), payload(next[1])), "site 1");
                next[1] += 1;
            }
            got = recv(&mut a_rx), if next[0] < N => {
                assert_eq!(got, (SiteId(1), payload(next[0])), "site 0");
                next[0] += 1;
            }
        }
    }
    wait_stats(&a_tx, |s| s.connected >= 2).await;
    wait_stats(&b_tx, |s| s.connected >= 2).await;
    tokio::time::timeout(common::LIMIT, a_tx.settled())
        .await
        .expect("site 0 settles");
    tokio::time::timeout(common::LIMIT, b_tx.settled())
        .await
        .expect("site 1 settles");
    assert!(a_rx.try_recv().is_none() && b_rx.try_recv().is_none());
}
