//! The connection tasks: one listener accepting peers' connections (their
//! payloads in, our acknowledgements out) and one dialer per peer (our
//! payloads out, its acknowledgements in), which reconnects with
//! exponential backoff for as long as the peer is down.

use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use snow::StatelessTransportState;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::timeout;
use tokio_util::bytes::Bytes;
use tracing::{debug, info, warn};

use super::frame::Msg;
use super::handshake::{self, next_frame, Accepted, Conn};
use super::keys::Credentials;
use super::noise::{Opener, Sealer};
use super::shared::Shared;
use super::{NetConfig, NetError};
use crate::SiteId;

/// A connection must finish its handshake within this time.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The first reconnection delay; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(20);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How long an acknowledgement waits for the next ones, to go with them.
const ACK_DELAY: Duration = Duration::from_millis(2);

/// At most this many payloads are written before the writer looks again.
const BATCH: usize = 256;

/// Starts the listener and one dialer per peer.
pub fn spawn(shared: Arc<Shared>, listener: TcpListener, config: NetConfig) {
    let creds = Arc::new(config.credentials);
    for (peer, address) in config.peers {
        shared.tasks.spawn(dial_loop(
            shared.clone(),
            creds.clone(),
            peer,
            address,
            config.max_frame,
        ));
    }
    let tasks = shared.tasks.clone();
    tasks.spawn(listen(shared, listener, creds, config.max_frame));
}

/// Accepts connections until the transport stops.
async fn listen(
    shared: Arc<Shared>,
    listener: TcpListener,
    creds: Arc<Credentials>,
    max_frame: usize,
) {
    loop {
        let accepted = tokio::select! {
            _ = shared.cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, addr)) => {
                let (shared2, creds) = (shared.clone(), creds.clone());
                shared.tasks.spawn(async move {
                    let shared = shared2;
                    let cancel = shared.cancel.clone();
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        result = serve(&shared, stream, &creds, max_frame) => {
                            if let Err(e) = result {
                                reject(&shared, &format!("connection from {addr}"), &e);
                            }
                        }
                    }
                });
            }
            // Out of file descriptors and the like: try again shortly.
            Err(e) => {
                warn!(site = shared.site().0, "accept failed: {e}");
                tokio::select! {
                    _ = shared.cancel.cancelled() => return,
                    _ = tokio::time::sleep(FIRST_BACKOFF) => {}
                }
            }
        }
    }
}

/// Logs and counts a refused or broken connection.
fn reject(shared: &Shared, what: &str, e: &NetError) {
    match e {
        NetError::Io(_) => debug!(site = shared.site().0, "{what}: {e}"),
        _ => {
            warn!(site = shared.site().0, "{what} refused: {e}");
            shared.stats().send_modify(|s| s.rejected += 1);
        }
    }
}

/// One incoming connection: handshake, then payloads in and
/// acknowledgements out until it breaks.
async fn serve(
    shared: &Shared,
    stream: TcpStream,
    creds: &Credentials,
    max_frame: usize,
) -> Result<(), NetError> {
    let accepted = timeout(
        HANDSHAKE_TIMEOUT,
        handshake::accept(stream, creds, max_frame),
    )
    .await
    .map_err(|_| NetError::Protocol("handshake timed out".into()))??;
    let conn = match accepted {
        Accepted::Site(conn) => conn,
        Accepted::Operator(conn) => return super::status::answer(shared, conn).await,
    };
    let Conn {
        peer,
        mut read,
        mut write,
        transport,
    } = conn;
    let cell = shared
        .cell(peer)
        .ok_or_else(|| NetError::Credentials(format!("site #{} is not a peer", peer.0)))?;
    shared.stats().send_modify(|s| s.accepted += 1);
    info!(site = shared.site().0, peer = peer.0, "peer connected");
    let transport = &transport;
    let mut acks = cell.ackable.subscribe();
    let receiving = async {
        let mut opener = Opener::new();
        loop {
            let frame = next_frame(&mut read).await?;
            match decode(&mut opener, transport, &frame)? {
                Msg::Data {
                    epoch,
                    first,
                    seq,
                    payload,
                } => shared.on_data(peer, epoch, first, seq, payload),
                Msg::Ack { .. } => {
                    return Err(NetError::Protocol("acknowledgement from the dialer".into()))
                }
            }
        }
    };
    let acknowledging = async {
        let mut sealer = Sealer::new();
        loop {
            let ack = *acks.borrow_and_update();
            let msg = Msg::Ack {
                epoch: ack.epoch,
                upto: ack.upto,
            };
            let frame = sealer.seal(transport, &msg.encode())?;
            write.send(Bytes::from(frame)).await?;
            if acks.changed().await.is_err() {
                return Ok(());
            }
            // Acknowledgements only let the dialer forget what it keeps for
            // a reconnection: gathering those of a burst into one frame
            // leaves the cores to the payloads.
            tokio::time::sleep(ACK_DELAY).await;
        }
    };
    tokio::select! {
        r = receiving => r,
        r = acknowledging => r,
    }
}

/// Decrypts and decodes one frame.
fn decode(
    opener: &mut Opener,
    transport: &StatelessTransportState,
    frame: &[u8],
) -> Result<Msg, NetError> {
    let plain = opener.open(transport, frame)?;
    Msg::decode(&plain).ok_or_else(|| NetError::Protocol("malformed message".into()))
}

/// Keeps a connection to `peer` open for as long as the transport runs.
async fn dial_loop(
    shared: Arc<Shared>,
    creds: Arc<Credentials>,
    peer: SiteId,
    address: String,
    max_frame: usize,
) {
    let mut failures = 0u32;
    loop {
        let mut up = false;
        let attempt = async {
            let stream = TcpStream::connect(&address).await?;
            let conn = timeout(
                HANDSHAKE_TIMEOUT,
                handshake::dial(stream, &creds, peer, max_frame),
            )
            .await
            .map_err(|_| NetError::Protocol("handshake timed out".into()))??;
            up = true;
            shared.stats().send_modify(|s| s.connected += 1);
            info!(
                site = shared.site().0,
                peer = peer.0,
                "connected to {address}"
            );
            pump(&shared, conn).await
        };
        let result = tokio::select! {
            _ = shared.cancel.cancelled() => return,
            result = attempt => result,
        };
        if let Err(e) = result {
            reject(&shared, &format!("link to {address}"), &e);
        }
        // A link that was up reconnects at once; a peer that is down is
        // called again less and less often.
        if up {
            failures = 0;
        }
        let delay = backoff(failures, shared.site(), peer);
        failures = failures.saturating_add(1);
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// The delay before reconnection attempt `failures + 1`: doubling from
/// [`FIRST_BACKOFF`] up to [`MAX_BACKOFF`], spread by up to a quarter so that
/// sites do not all call a restarted peer in the same instant.
fn backoff(failures: u32, site: SiteId, peer: SiteId) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1u32 << failures.min(16))
        .min(MAX_BACKOFF);
    let spread = (u64::from(site.0) * 31 + u64::from(peer.0) * 17 + u64::from(failures)) % 25;
    base + base * u32::try_from(spread).unwrap_or(0) / 100
}

/// Sends the unacknowledged payloads to the peer, and goes on sending new
/// ones as they are queued, until the connection breaks.
async fn pump(shared: &Shared, conn: Conn) -> Result<(), NetError> {
    let Conn {
        peer,
        mut read,
        mut write,
        transport,
    } = conn;
    let Some(cell) = shared.cell(peer) else {
        return Ok(());
    };
    let transport = &transport;
    // The listener's first acknowledgement is where we resume.
    let (resume_tx, mut resume_rx) = watch::channel(None::<u64>);
    let receiving = async {
        let mut opener = Opener::new();
        loop {
            let frame = next_frame(&mut read).await?;
            match decode(&mut opener, transport, &frame)? {
                Msg::Ack { epoch, upto } => {
                    shared.on_ack(peer, epoch, upto);
                    // An acknowledgement of another numbering (an earlier
                    // incarnation of this site) resumes from the start.
                    let resume = if epoch == shared.epoch() { upto } else { 0 };
                    resume_tx.send_if_modified(|r| r.replace(resume).is_none());
                }
                Msg::Data { .. } => {
                    return Err(NetError::Protocol("payload from the listener".into()))
                }
            }
        }
    };
    let sending = async {
        let mut sealer = Sealer::new();
        let mut queued = cell.queued.subscribe();
        let mut sent = loop {
            if let Some(upto) = *resume_rx.borrow_and_update() {
                break upto;
            }
            resume_rx
                .changed()
                .await
                .map_err(|_| NetError::Protocol("no acknowledgement".into()))?;
        };
        loop {
            queued.borrow_and_update();
            let batch = shared.unacked_after(peer, sent, BATCH);
            if batch.is_empty() {
                if queued.changed().await.is_err() {
                    return Ok(());
                }
                continue;
            }
            for msg in batch {
                if let Msg::Data { seq, .. } = msg {
                    sent = seq;
                }
                let frame = sealer.seal(transport, &msg.encode())?;
                write.feed(Bytes::from(frame)).await?;
            }
            SinkExt::<Bytes>::flush(&mut write).await?;
        }
    };
    tokio::select! {
        r = receiving => r,
        r = sending => r,
    }
}
