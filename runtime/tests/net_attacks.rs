//! Hostile peers: wrong credentials, keys of another cluster (calling or
//! called), garbage, oversized, truncated and wrong-version frames, a
//! recorded session replayed, a frame replayed inside a session. Each is
//! refused before anything it carries is delivered, and the agent goes on
//! serving its real peers.

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

/// What the [`Proxy`] does with one frame from the dialer.
#[derive(Clone, Copy)]
enum Tamper {
    /// Passes it on.
    Forward,
    /// Passes it on twice (a replay inside the session).
    Twice,
    /// Sends a length prefix over the agents' limit and 64 bytes instead,
    /// then closes.
    Oversized,
    /// Sends a length prefix of 100 and 10 bytes instead, then closes.
    Truncated,
}

/// A man in the middle on loopback: forwards every connection to `target`
/// frame by frame from the dialer (bytes as they come from the listener),
/// applies `tamper(connection, frame)` to each dialer frame (frames 0–2
/// are the hello and the handshake, 3 and later are payloads), and records
/// the dialer's bytes of the first connection.
struct Proxy {
    addr: std::net::SocketAddr,
    recorded: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Proxy {
    async fn start(target: std::net::SocketAddr, tamper: fn(usize, usize) -> Tamper) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let recorded = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = recorded.clone();
        tokio::spawn(async move {
            for k in 0.. {
                let Ok((dialer, _)) = listener.accept().await else {
                    return;
                };
                let Ok(upstream) = TcpStream::connect(target).await else {
                    return;
                };
                let record = record.clone();
                tokio::spawn(async move {
                    let (mut from_dialer, mut to_dialer) = dialer.into_split();
                    let (mut from_listener, mut to_listener) = upstream.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut from_listener, &mut to_dialer).await;
                    });
                    for i in 0.. {
                        let mut len = [0u8; 4];
                        if from_dialer.read_exact(&mut len).await.is_err() {
                            break;
                        }
                        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
                        if from_dialer.read_exact(&mut body).await.is_err() {
                            break;
                        }
                        let whole = [&len[..], &body].concat();
                        if k == 0 {
                            record.lock().expect("lock").extend_from_slice(&whole);
                        }
                        let out = match tamper(k, i) {
                            Tamper::Forward => whole,
                            Tamper::Twice => [&whole[..], &whole].concat(),
                            Tamper::Oversized => {
                                // The agents' limit is 1 MiB (`Cluster`).
                                let bad = (1u32 << 20) + 1;
                                [&bad.to_be_bytes()[..], &[0x5A; 64]].concat()
                            }
                            Tamper::Truncated => [&100u32.to_be_bytes()[..], &[0x5A; 10]].concat(),
                        };
                        if to_listener.write_all(&out).await.is_err() {
                            break;
                        }
                        if matches!(tamper(k, i), Tamper::Oversized | Tamper::Truncated) {
                            let _ = to_listener.shutdown().await;
                            break;
                        }
                    }
                });
            }
        });
        Proxy { addr, recorded }
    }
}

/// Site 1 dialing site 0 through `proxy` (its other settings as usual).
async fn start_via(
    cluster: &mut Cluster,
    proxy: &Proxy,
) -> (ballet_runtime::net::Sender, ballet_runtime::net::Receiver) {
    let mut config = cluster.config(1, None);
    config.peers = vec![(SiteId(0), proxy.addr.to_string())];
    let listener = cluster.listeners[1].take().expect("site 1's listener");
    start_on(listener, config).await.expect("start")
}

/// Waits until every payload `sender` queued is acknowledged.
async fn settled(sender: &ballet_runtime::net::Sender) {
    tokio::time::timeout(LIMIT, sender.settled())
        .await
        .expect("acknowledged within the limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_session_replayed_on_a_new_connection_is_refused() {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    let proxy = Proxy::start(cluster.addrs[0], |_, _| Tamper::Forward).await;
    let (b, _rb) = start_via(&mut cluster, &proxy).await;
    for i in 0..5 {
        b.send(SiteId(0), payload(i)).expect("send");
    }
    for i in 0..5 {
        assert_eq!(recv(&mut ra).await, (SiteId(1), payload(i)));
    }
    settled(&b).await;
    b.shutdown().await;
    let recorded = proxy.recorded.lock().expect("lock").clone();
    // Hello, three handshake messages' worth of frames, five payloads.
    assert!(recorded.len() > 5 * 4 + 96, "a whole session was recorded");
    let before = a.stats();

    // The same bytes on a new connection: the listener's fresh ephemeral
    // key makes the recorded third handshake message fail to decrypt, so
    // not one recorded payload frame is even opened.
    closed_after(cluster.addrs[0], &recorded).await;
    let after = wait_stats(&a, |s| s.rejected > before.rejected).await;
    assert_eq!(after.accepted, before.accepted);
    assert_eq!(after.duplicates, before.duplicates);
    assert!(ra.try_recv().is_none());

    // Site 0 still serves the real site 1 (restarted without state).
    let (b, _rb) = cluster.start(1, None).await;
    b.send(SiteId(0), payload(99)).expect("send");
    assert_eq!(recv(&mut ra).await, (SiteId(1), payload(99)));
}

/// Site 1 sends ten payloads through a proxy that applies `tamper`; site 0
/// must refuse the tampered connection and still receive every payload
/// exactly once, in order, over the dialer's next connection.
async fn tampered_link_delivers_exactly_once(tamper: fn(usize, usize) -> Tamper) {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    let proxy = Proxy::start(cluster.addrs[0], tamper).await;
    let (b, _rb) = start_via(&mut cluster, &proxy).await;
    for i in 0..10 {
        b.send(SiteId(0), payload(i)).expect("send");
    }
    wait_stats(&a, |s| s.rejected >= 1 && s.accepted >= 2).await;
    for i in 0..10 {
        assert_eq!(recv(&mut ra).await, (SiteId(1), payload(i)));
    }
    settled(&b).await;
    assert!(ra.try_recv().is_none(), "a payload delivered twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_replayed_inside_a_session_closes_it_and_nothing_is_delivered_twice() {
    // The first payload frame twice: the copy carries a used nonce.
    tampered_link_delivers_exactly_once(|k, i| match (k, i) {
        (0, 3) => Tamper::Twice,
        _ => Tamper::Forward,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_from_an_authenticated_peer_is_refused() {
    tampered_link_delivers_exactly_once(|k, i| match (k, i) {
        (0, 3) => Tamper::Oversized,
        _ => Tamper::Forward,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_frame_from_an_authenticated_peer_is_refused() {
    tampered_link_delivers_exactly_once(|k, i| match (k, i) {
        (0, 3) => Tamper::Truncated,
        _ => Tamper::Forward,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_frames_before_the_handshake_are_refused() {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    let addr = cluster.addrs[0];
    // Half a length prefix, then the end of the stream.
    assert!(closed_after(addr, &[0, 0]).await.is_empty());
    // A hello cut short.
    let hello = Hello::ours().encode();
    let mut cut = frame(&hello);
    cut.truncate(cut.len() - 2);
    assert!(closed_after(addr, &cut).await.is_empty());
    // A whole hello, then half of the first handshake message.
    let mut bytes = frame(&hello);
    let mut m1 = frame(&[0x55; 32]);
    m1.truncate(20);
    bytes.extend(m1);
    closed_after(addr, &bytes).await;
    wait_stats(&a, |s| s.rejected >= 3).await;
    assert!(ra.try_recv().is_none());
    assert_eq!(a.stats().accepted, 0);

    let (b, _rb) = cluster.start(1, None).await;
    b.send(SiteId(0), payload(3)).expect("send");
    assert_eq!(recv(&mut ra).await, (SiteId(1), payload(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dialer_refuses_a_listener_of_another_cluster_and_sends_it_nothing() {
    let mut cluster = Cluster::new(2).await;
    let (a, mut ra) = cluster.start(0, None).await;
    // An impostor on site 1's address, with a valid key of another key
    // file; it even knows site 0's public key, so it would accept site 0.
    let stranger = ClusterKeys::generate(&["site_0".into(), "site_1".into()]).expect("keys");
    let forged = with_foreign_key(&cluster.keys, &stranger, 1);
    let mut config = cluster.config(1, None);
    config.credentials = forged.credentials(SiteId(1)).expect("creds");
    let listener = cluster.listeners[1].take().expect("site 1's listener");
    let (impostor, mut ri) = start_on(listener, config).await.expect("start");
    for i in 0..5 {
        a.send(SiteId(1), payload(i)).expect("queued");
    }
    // Site 0 checks the listener's key during the handshake and hangs up
    // before any payload frame, again and again.
    wait_stats(&a, |s| s.rejected >= 2).await;
    assert_eq!(a.stats().connected, 0);
    assert_eq!(a.unacked(), 5);
    assert!(ri.try_recv().is_none());
    assert_eq!(impostor.stats().accepted, 0);
    impostor.shutdown().await;

    // The real site 1 on that address gets every payload once, and site 0
    // still receives.
    let (b, mut rb) = cluster.start(1, None).await;
    for i in 0..5 {
        assert_eq!(recv(&mut rb).await, (SiteId(0), payload(i)));
    }
    b.send(SiteId(0), payload(7)).expect("send");
    assert_eq!(recv(&mut ra).await, (SiteId(1), payload(7)));
}
