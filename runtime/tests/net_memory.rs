//! The in-memory test transport: with loss, duplication, reordering and
//! delays, every payload is still delivered exactly once and in order, and
//! a crashed node resumes from its checkpoint.

use std::time::Duration;

use ballet_runtime::net::testing::{Faults, Network};
use ballet_runtime::net::Receiver;
use ballet_runtime::SiteId;

const LIMIT: Duration = Duration::from_secs(20);

const HOSTILE: Faults = Faults {
    drop: 0.2,
    duplicate: 0.2,
    reorder: 0.5,
    max_delay: 8,
};

async fn recv(rx: &mut Receiver) -> (SiteId, Vec<u8>) {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("a payload within the limit")
        .expect("running")
}

fn number(p: &[u8]) -> u32 {
    u32::from_le_bytes(p.try_into().expect("4 bytes"))
}

#[tokio::test]
async fn three_nodes_over_a_hostile_network_get_everything_once_in_order() {
    for seed in [1, 2, 3] {
        let net = Network::new(3, seed, HOSTILE);
        let mut nodes: Vec<_> = (0..3).map(|i| net.node(SiteId(i))).collect();
        for i in 0..1000u32 {
            for (me, (tx, _)) in nodes.iter().enumerate() {
                for to in (0..3).filter(|&to| to != me) {
                    tx.send(SiteId::from_index(to), i.to_le_bytes().to_vec())
                        .expect("send");
                }
            }
        }
        for (me, (_, rx)) in nodes.iter_mut().enumerate() {
            let mut next = [0u32; 3];
            for _ in 0..2000 {
                let (from, p) = recv(rx).await;
                assert_ne!(from.index(), me);
                assert_eq!(number(&p), next[from.index()], "seed {seed}");
                next[from.index()] += 1;
            }
        }
        // Everything is acknowledged in the end, and nothing more arrives.
        for (tx, _) in &nodes {
            tokio::time::timeout(LIMIT, tx.settled())
                .await
                .expect("settles");
            assert_eq!(tx.unacked(), 0, "seed {seed}");
        }
        for (_, rx) in &mut nodes {
            assert!(rx.try_recv().is_none());
        }
        let stats = net.stats();
        assert!(stats.dropped > 0 && stats.duplicated > 0 && stats.reordered > 0);
        assert!(nodes.iter().any(|(tx, _)| tx.stats().duplicates > 0));
    }
}

#[tokio::test]
async fn a_crashed_node_resumes_from_its_checkpoint() {
    let net = Network::new(2, 11, HOSTILE);
    let (a, mut ra) = net.node(SiteId(0));
    for i in 0..500u32 {
        a.send(SiteId(1), i.to_le_bytes().to_vec()).expect("send");
    }
    let (mut handled, mut saved) = (Vec::new(), Vec::new());
    let mut from = None;
    // The last incarnation stays up until site 0 has every reply.
    let mut _last = None;
    for crash_at in [170u32, 340, u32::MAX] {
        let (b, mut rb) = net.durable_node(SiteId(1), from.take()).expect("node");
        handled = saved.clone();
        while handled.len() < 500 {
            let (_, p) = recv(&mut rb).await;
            let i = number(&p);
            assert_eq!(i as usize, handled.len(), "exactly once, in order");
            handled.push(i);
            b.send(SiteId(0), p).expect("reply");
            if i % 50 == 49 {
                saved = handled.clone();
                b.checkpoint().await.expect("checkpoint");
            }
            if i == crash_at {
                from = net.crash(SiteId(1));
                break;
            }
        }
        _last = Some((b, rb));
    }
    assert_eq!(handled, (0..500).collect::<Vec<_>>());
    for i in 0..500u32 {
        assert_eq!(recv(&mut ra).await, (SiteId(1), i.to_le_bytes().to_vec()));
    }
}

#[tokio::test]
async fn a_node_restarted_without_state_starts_a_new_numbering() {
    let net = Network::new(2, 5, HOSTILE);
    let (_a, mut ra) = net.node(SiteId(0));
    let (b, _rb) = net.node(SiteId(1));
    for i in 0..100u32 {
        b.send(SiteId(0), i.to_le_bytes().to_vec()).expect("send");
    }
    for i in 0..100u32 {
        assert_eq!(number(&recv(&mut ra).await.1), i);
    }
    // Site 1 comes back with no state: its numbering restarts at 1 in a new
    // epoch, and site 0 does not take its payloads for duplicates.
    net.crash(SiteId(1));
    let (b, _rb) = net.node(SiteId(1));
    for i in 1000..1100u32 {
        b.send(SiteId(0), i.to_le_bytes().to_vec()).expect("send");
    }
    for i in 1000..1100u32 {
        assert_eq!(number(&recv(&mut ra).await.1), i);
    }
}
