//! The TCP transport between real agents on loopback: exactly-once in-order
//! delivery, a peer down then up, a restart from a checkpoint.

mod common;

use ballet_runtime::SiteId;
use common::{number, payload, recv, temp_dir, Cluster};

const N: u32 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_exchange_a_thousand_payloads_each_way_exactly_once_in_order() {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    let (b, mut rb) = cluster.start(1, None).await;
    for i in 0..N {
        a.send(SiteId(1), payload(i)).expect("send");
        b.send(SiteId(0), payload(i)).expect("send");
    }
    for i in 0..N {
        assert_eq!(recv(&mut rb).await, (SiteId(0), payload(i)));
        assert_eq!(recv(&mut ra).await, (SiteId(1), payload(i)));
    }
    assert!(ra.try_recv().is_none() && rb.try_recv().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_all_to_all_exactly_once_in_order() {
    let mut cluster = Cluster::new(3).await;
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(cluster.start(i, None).await);
    }
    for i in 0..N {
        for (me, (tx, _)) in nodes.iter().enumerate() {
            for to in (0..3).filter(|&to| to != me) {
                tx.send(SiteId::from_index(to), payload(i)).expect("send");
            }
        }
    }
    for (me, (_, rx)) in nodes.iter_mut().enumerate() {
        let mut next = [0u32; 3];
        for _ in 0..2 * N {
            let (from, p) = recv(rx).await;
            assert_ne!(from.index(), me);
            assert_eq!(number(&p), next[from.index()], "order from {from:?}");
            next[from.index()] += 1;
        }
        assert!(rx.try_recv().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_down_then_up_gets_everything() {
    let mut cluster = Cluster::new(2).await;
    // Site 1's port is closed: site 0 keeps calling it with backoff.
    drop(cluster.listeners[1].take());
    let (a, _ra) = cluster.start(0, None).await;
    for i in 0..N {
        a.send(SiteId(1), payload(i)).expect("send");
    }
    assert_eq!(a.unacked(), N as usize);
    let (_b, mut rb) = cluster.start(1, None).await;
    for i in 0..N {
        assert_eq!(recv(&mut rb).await, (SiteId(0), payload(i)));
    }
    // Then it goes down and up again, while more payloads are queued.
    _b.shutdown().await;
    drop((_b, rb));
    for i in N..2 * N {
        a.send(SiteId(1), payload(i)).expect("send");
    }
    let (_b, mut rb) = cluster.start(1, None).await;
    // The new incarnation has no state: it gets every payload from the
    // first one whose acknowledgement had not reached site 0 (taken by the
    // old incarnation, so at least once), then everything, once, in order.
    let (_, p) = recv(&mut rb).await;
    let first = number(&p);
    assert!(first <= N, "payload {first} skipped");
    for i in first + 1..2 * N {
        assert_eq!(recv(&mut rb).await, (SiteId(0), payload(i)));
    }
    common::wait_stats(&a, |s| s.connected >= 2).await;
    assert!(rb.try_recv().is_none());
}

/// The application of site 1 in the restart test: what it has handled, as
/// it would be kept in its own checkpoint.
#[derive(Clone, Default)]
struct App {
    handled: Vec<u32>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_and_restarted_from_its_checkpoint_loses_and_repeats_nothing() {
    let dir = temp_dir("restart");
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    for i in 0..N {
        a.send(SiteId(1), payload(i)).expect("send");
    }
    let mut saved = App::default();
    let mut crashes = 0;
    // The last incarnation stays up until site 0 has every reply.
    let _last = 'incarnation: loop {
        let (b, mut rb) = cluster.start(1, Some(dir.clone())).await;
        let mut app = saved.clone();
        while app.handled.len() < N as usize {
            let (from, p) = recv(&mut rb).await;
            assert_eq!(from, SiteId(0));
            let i = number(&p);
            assert_eq!(i as usize, app.handled.len(), "in order, exactly once");
            app.handled.push(i);
            // Handling a payload sends a reply (deterministically).
            b.send(SiteId(0), payload(i)).expect("reply");
            if i % 100 == 99 {
                saved = app.clone();
                b.checkpoint().await.expect("checkpoint");
            }
            // Killed twice, between checkpoints: no checkpoint is written.
            if (i == 450 && crashes == 0) || (i == 720 && crashes == 1) {
                crashes += 1;
                b.shutdown().await;
                continue 'incarnation;
            }
        }
        break (b, rb);
    };
    assert_eq!(crashes, 2);
    // Site 0 got every reply once and in order, although site 1 sent the
    // ones after each checkpoint twice.
    for i in 0..N {
        assert_eq!(recv(&mut ra).await, (SiteId(1), payload(i)));
    }
    assert!(ra.try_recv().is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
