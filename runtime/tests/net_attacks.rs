//! Hostile peers: wrong credentials, garbage, oversized and wrong-version
//! frames. Each is refused before any payload is delivered, and the agent
//! goes on serving the others.

mod common;

use ballet_runtime::net::{start_on, ClusterKeys, Hello, MAGIC};
use ballet_runtime::SiteId;
use common::{payload, recv, wait_stats, Cluster, LIMIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Replaces site `site`'s key pair in `keys` with `other`'s, keeping every
/// other site's: an intruder that knows the cluster's public keys but not
/// the private key of the site it claims to be.
fn with_foreign_key(keys: &ClusterKeys, other: &ClusterKeys, site: usize) -> ClusterKeys {
    let text = keys.to_toml();
    let foreign = other.to_toml();
    let block = |t: &str| -> String {
        let start = t.find(&format!("name = \"site_{site}\"")).expect("site");
        t[start..].lines().take(3).collect::<Vec<_>>().join("\n")
    };
    ClusterKeys::parse(&text.replace(&block(&text), &block(&foreign))).expect("parses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_with_the_wrong_key_is_refused_before_any_payload() {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    // The intruder claims to be site 1: it knows site 0's public key but
    // holds a key pair of another cluster.
    let stranger = ClusterKeys::generate(&["site_0".into(), "site_1".into()]).expect("keys");
    let forged = with_foreign_key(&cluster.keys, &stranger, 1);
    let mut config = cluster.config(1, None);
    config.credentials = forged.credentials(SiteId(1)).expect("creds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (intruder, _ri) = start_on(listener, config).await.expect("start");
    for i in 0..10 {
        intruder.send(SiteId(0), payload(i)).expect("queued");
    }
    // Site 0 refuses the handshake (the key is not in its roster) again and
    // again, and delivers nothing.
    wait_stats(&a, |s| s.rejected >= 2).await;
    assert!(ra.try_recv().is_none());
    assert_eq!(a.stats().accepted, 0);
    assert_eq!(intruder.unacked(), 10);
    intruder.shutdown().await;

    // An agent of another cluster altogether is refused as well: it does
    // not know site 0's key, so it gives up itself during the handshake.
    let mut config = cluster.config(1, None);
    config.credentials = stranger.credentials(SiteId(1)).expect("creds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (other, _ro) = start_on(listener, config).await.expect("start");
    other.send(SiteId(0), payload(0)).expect("queued");
    wait_stats(&other, |s| s.rejected >= 1).await;
    wait_stats(&a, |s| s.rejected >= 3).await;
    assert!(ra.try_recv().is_none());
    other.shutdown().await;

    // The real site 1 is served.
    let (b, _rb) = cluster.start(1, None).await;
    b.send(SiteId(0), payload(7)).expect("send");
    assert_eq!(recv(&mut ra).await, (SiteId(1), payload(7)));
}

/// Sends `bytes` on a raw connection to `addr` and waits until the agent
/// closes it; returns what the agent wrote first.
async fn closed_after(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut got = Vec::new();
    let read = tokio::time::timeout(LIMIT, async {
        let mut buf = [0u8; 256];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("the agent closes the connection");
    got
}

/// A frame: 4-byte big-endian length, then `body`.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len())
        .expect("short")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(body);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversized_and_wrong_version_frames_are_refused_and_the_agent_goes_on() {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    let addr = cluster.addrs[0];
    let hello = |version: u16| {
        let hello = Hello {
            magic: MAGIC,
            version,
        };
        // The frozen layout of a Hello: magic, then the version (varint).
        let mut body = hello.magic.to_vec();
        body.push(u8::try_from(version).expect("small"));
        body
    };
    // Garbage: an HTTP request (its first bytes make a huge length).
    let got = closed_after(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(got.is_empty());
    // An oversized length prefix, no body.
    assert!(closed_after(addr, &[0xFF, 0xFF, 0xFF, 0xFF])
        .await
        .is_empty());
    // A well-sized frame of garbage instead of a Hello.
    assert!(closed_after(addr, &frame(&[0xAB; 40])).await.is_empty());
    // Another protocol version: the agent answers with its Hello, then closes.
    let got = closed_after(addr, &frame(&hello(99))).await;
    assert_eq!(got, frame(&hello(ballet_runtime::net::PROTOCOL_VERSION)));
    // The right Hello, then garbage instead of the Noise handshake.
    let mut bytes = frame(&hello(ballet_runtime::net::PROTOCOL_VERSION));
    // Any 32 bytes pass for the dialer's ephemeral key; the third message
    // cannot be forged.
    bytes.extend(frame(&[0x55; 32]));
    bytes.extend(frame(&[1, 2, 3]));
    closed_after(addr, &bytes).await;
    // Every one was counted, and nothing was delivered.
    wait_stats(&a, |s| s.rejected >= 5).await;
    assert!(ra.try_recv().is_none());

    // The agent still serves its real peer.
    let (b, _rb) = cluster.start(1, None).await;
    for i in 0..100 {
        b.send(SiteId(0), payload(i)).expect("send");
    }
    for i in 0..100 {
        assert_eq!(recv(&mut ra).await, (SiteId(1), payload(i)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_does_not_stop_the_agent() {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    // A connection that says nothing is closed after the handshake timeout;
    // meanwhile the agent serves others.
    let silent = TcpStream::connect(cluster.addrs[0]).await.expect("connect");
    let (b, _rb) = cluster.start(1, None).await;
    b.send(SiteId(0), payload(1)).expect("send");
    assert_eq!(recv(&mut ra).await, (SiteId(1), payload(1)));
    wait_stats(&a, |s| s.rejected >= 1).await;
    drop(silent);
}
