//! The status channel: the operator key gets the agent's published status
//! and nothing else; any other key is refused and learns nothing; the
//! agent's links are not disturbed.

mod common;

use std::time::Duration;

use ballet_runtime::net::{query_status, ClusterKeys};
use ballet_runtime::SiteId;
use common::{payload, recv, wait_stats, Cluster};

const ASK: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_gets_the_status_and_strangers_get_nothing() {
    let mut cluster = Cluster::new(2).await;
    let (a, _ra) = cluster.start(0, None).await;
    let (b, mut rb) = cluster.start(1, None).await;
    let addr = cluster.addrs[0].to_string();
    let operator = cluster.keys.operator().expect("an operator key");

    // Nothing published yet: an empty status.
    let got = query_status(&addr, &operator, SiteId(0), 1 << 20, ASK).await;
    assert_eq!(got.expect("an answer"), Vec::<u8>::new());
    a.set_status(b"pc 3/7".to_vec());
    let got = query_status(&addr, &operator, SiteId(0), 1 << 20, ASK).await;
    assert_eq!(got.expect("an answer"), b"pc 3/7");

    // Calling the wrong site: the listener's key is not site 1's.
    let wrong = query_status(&addr, &operator, SiteId(1), 1 << 20, ASK).await;
    assert!(wrong.is_err());

    // The operator key of another cluster is refused during the handshake.
    let other = ClusterKeys::generate(&["site_0".into(), "site_1".into()]).expect("keys");
    let before = a.stats().rejected;
    let text = cluster.keys.to_toml();
    let foreign = other.to_toml();
    let op = |t: &str| t[t.find("[operator]").expect("operator")..].to_string();
    let forged = ClusterKeys::parse(&text.replace(&op(&text), &op(&foreign))).expect("parses");
    let intruder = forged.operator().expect("operator");
    let refused = query_status(&addr, &intruder, SiteId(0), 1 << 20, ASK).await;
    assert!(refused.is_err(), "a stranger got {refused:?}");
    wait_stats(&a, |s| s.rejected > before).await;

    // The links carry on.
    a.send(SiteId(1), payload(7)).expect("send");
    assert_eq!(recv(&mut rb).await, (SiteId(0), payload(7)));
    drop(b);
}
