//! Operator links (`balletc apply`): refused while the application takes
//! none, then handed to it and carrying sealed messages both ways; the
//! status request still answers meanwhile.

mod common;

use std::time::Duration;

use ballet_runtime::net::{open_link, query_status};
use ballet_runtime::SiteId;
use common::{wait_stats, Cluster};

const ASK: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_reach_the_application_only_when_it_takes_them() {
    let mut cluster = Cluster::new(2).await;
    let (a, _ra) = cluster.start(0, None).await;
    let addr = cluster.addrs[0].to_string();
    let operator = cluster.keys.operator().expect("an operator key");

    // No taker: the agent closes the link after the request.
    let before = a.stats().rejected;
    let mut link = open_link(&addr, &operator, SiteId(0), 1 << 20, ASK)
        .await
        .expect("the handshake succeeds");
    assert!(tokio::time::timeout(ASK, link.recv())
        .await
        .expect("closed in time")
        .is_err());
    wait_stats(&a, |s| s.rejected > before).await;

    // A taker: messages both ways, in order.
    let mut links = a.operator_links();
    let mut ours = open_link(&addr, &operator, SiteId(0), 1 << 20, ASK)
        .await
        .expect("a link");
    let mut theirs = tokio::time::timeout(ASK, links.recv())
        .await
        .expect("in time")
        .expect("a link");
    ours.send(b"prepare").await.expect("sent");
    ours.send(b"plan").await.expect("sent");
    assert_eq!(theirs.recv().await.expect("a message"), b"prepare");
    assert_eq!(theirs.recv().await.expect("a message"), b"plan");
    theirs.send(b"ready").await.expect("sent");
    assert_eq!(ours.recv().await.expect("a message"), b"ready");

    // Status requests are still answered meanwhile.
    a.set_status(b"idle".to_vec());
    let got = query_status(&addr, &operator, SiteId(0), 1 << 20, ASK).await;
    assert_eq!(got.expect("an answer"), b"idle");
    drop(theirs);
    assert!(ours.recv().await.is_err(), "the agent closed the link");
}
