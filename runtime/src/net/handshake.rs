//! Opening a connection: the version exchange, then the Noise XX handshake
//! that authenticates both sites. Nothing after the handshake is read from
//! a peer that did not prove it holds a roster key.
//!
//! ```text
//! dialer                               listener
//!   Hello {magic, version}      ──▶      checks magic and version
//!                               ◀──      Hello {magic, version} (then closes if they differ)
//!   Noise  -> e                 ──▶
//!                               ◀──      Noise  <- e, ee, s, es
//!   checks s = the callee's key
//!   Noise  -> s, se             ──▶      looks s up in the roster: the caller's site
//! ```
//!
//! A caller holding the operator key (`balletc status`) is accepted as
//! [`Accepted::Operator`]: it gets the agent's status and nothing more (see
//! `status.rs`).
//!
//! Each step is one frame. The prologue of the handshake holds the version,
//! so a `Hello` altered on the way makes the handshake fail.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use snow::{HandshakeState, StatelessTransportState};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::bytes::Bytes;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use super::frame::{codec, Hello, PROTOCOL_VERSION};
use super::keys::{Credentials, OperatorCredentials};
use super::noise;
use super::NetError;
use crate::SiteId;

/// The longest handshake message we build (XX over 25519 needs 96 bytes).
const HANDSHAKE_BUF: usize = 1024;

/// An authenticated, encrypted connection.
pub struct Conn {
    /// The site at the other end, proven by its key.
    pub peer: SiteId,
    /// Incoming frames.
    pub read: FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    /// Outgoing frames.
    pub write: FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
    /// The session keys (both directions).
    pub transport: StatelessTransportState,
}

/// Reads the next frame. Codec errors (an oversized length prefix, a
/// stream ending inside a frame) are protocol errors; a stream closed
/// between frames is an I/O error: a peer leaving (an agent that finished,
/// say) is not refused, logged or counted as one.
pub async fn next_frame(
    read: &mut FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
) -> Result<Vec<u8>, NetError> {
    match read.next().await {
        Some(Ok(frame)) => Ok(frame.to_vec()),
        Some(Err(e)) => Err(NetError::Protocol(format!("bad frame: {e}"))),
        None => Err(NetError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed",
        ))),
    }
}

async fn send(
    write: &mut FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
    bytes: Vec<u8>,
) -> Result<(), NetError> {
    write.send(Bytes::from(bytes)).await.map_err(NetError::Io)
}

fn framed(
    stream: TcpStream,
    max_frame: usize,
) -> (
    FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
) {
    let _ = stream.set_nodelay(true);
    detect_dead_peers(&stream);
    let (r, w) = stream.into_split();
    (
        FramedRead::new(r, codec(max_frame)),
        FramedWrite::new(w, codec(max_frame)),
    )
}

/// A peer whose machine vanished (no FIN, no RST) must not hold a
/// connection forever: TCP keepalive probes an idle connection after
/// [`KEEPALIVE_IDLE`] and gives up after [`KEEPALIVE_RETRIES`] unanswered
/// probes [`KEEPALIVE_INTERVAL`] apart, and on Linux data left
/// unacknowledged for [`USER_TIMEOUT`] fails the connection too. The dialer
/// then reconnects with backoff and retransmits; the listener's task ends.
/// Best effort: a platform without these options keeps TCP's defaults.
fn detect_dead_peers(stream: &TcpStream) {
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_RETRIES);
    let socket = socket2::SockRef::from(stream);
    let _ = socket.set_tcp_keepalive(&keepalive);
    #[cfg(target_os = "linux")]
    let _ = socket.set_tcp_user_timeout(Some(USER_TIMEOUT));
}

/// Idle time before the first keepalive probe.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
/// Time between keepalive probes.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
/// Unanswered probes before the connection is dropped.
pub const KEEPALIVE_RETRIES: u32 = 3;
/// Longest time sent data may stay unacknowledged by the peer's TCP.
pub const USER_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks the other side's `Hello`.
pub(super) fn check_hello(frame: &[u8]) -> Result<(), NetError> {
    let hello = Hello::decode(frame)
        .ok_or_else(|| NetError::Protocol("not a Ballet agent (bad hello)".into()))?;
    if hello.version != PROTOCOL_VERSION {
        return Err(NetError::Protocol(format!(
            "protocol version {} (this agent speaks version {PROTOCOL_VERSION})",
            hello.version
        )));
    }
    Ok(())
}

pub(super) fn write_noise(state: &mut HandshakeState) -> Result<Vec<u8>, NetError> {
    let mut buf = vec![0; HANDSHAKE_BUF];
    let n = state
        .write_message(&[], &mut buf)
        .map_err(|e| NetError::Protocol(format!("handshake: {e}")))?;
    buf.truncate(n);
    Ok(buf)
}

pub(super) fn read_noise(state: &mut HandshakeState, frame: &[u8]) -> Result<(), NetError> {
    let mut buf = vec![0; HANDSHAKE_BUF];
    state
        .read_message(frame, &mut buf)
        .map(|_| ())
        .map_err(|e| NetError::Credentials(format!("handshake failed: {e}")))
}

pub(super) fn into_transport(state: HandshakeState) -> Result<StatelessTransportState, NetError> {
    state
        .into_stateless_transport_mode()
        .map_err(|e| NetError::Protocol(format!("handshake: {e}")))
}

/// Opens a connection to `expected` over `stream`.
pub async fn dial(
    stream: TcpStream,
    creds: &Credentials,
    expected: SiteId,
    max_frame: usize,
) -> Result<Conn, NetError> {
    let want = creds.public_key(expected);
    dial_with(stream, creds.private_key(), want, expected, max_frame).await
}

/// Opens a connection to `expected` as the operator.
pub async fn dial_operator(
    stream: TcpStream,
    creds: &OperatorCredentials,
    expected: SiteId,
    max_frame: usize,
) -> Result<Conn, NetError> {
    let want = creds.public_key(expected);
    dial_with(stream, creds.private_key(), want, expected, max_frame).await
}

/// Opens a connection with `private` to the holder of `want`, site
/// `expected`.
async fn dial_with(
    stream: TcpStream,
    private: &[u8; noise::KEY_LEN],
    want: Option<&[u8; noise::KEY_LEN]>,
    expected: SiteId,
    max_frame: usize,
) -> Result<Conn, NetError> {
    let want =
        want.ok_or_else(|| NetError::Credentials(format!("no key for site #{}", expected.0)))?;
    let (mut read, mut write) = framed(stream, max_frame);
    send(&mut write, Hello::ours().encode()).await?;
    check_hello(&next_frame(&mut read).await?)?;
    let mut state = noise::handshake(private, true)?;
    send(&mut write, write_noise(&mut state)?).await?;
    read_noise(&mut state, &next_frame(&mut read).await?)?;
    if state.get_remote_static() != Some(&want[..]) {
        return Err(NetError::Credentials(format!(
            "the listener is not site #{} (unknown key)",
            expected.0
        )));
    }
    send(&mut write, write_noise(&mut state)?).await?;
    Ok(Conn {
        peer: expected,
        read,
        write,
        transport: into_transport(state)?,
    })
}

/// Who called, proven by its key.
pub enum Accepted {
    /// A site of the roster (`Conn::peer`).
    Site(Conn),
    /// The operator: only ever answered with the status (`Conn::peer` is
    /// this site).
    Operator(Conn),
}

/// Accepts a connection over `stream`: the caller's site comes from its key.
pub async fn accept(
    stream: TcpStream,
    creds: &Credentials,
    max_frame: usize,
) -> Result<Accepted, NetError> {
    let (mut read, mut write) = framed(stream, max_frame);
    let first = next_frame(&mut read).await?;
    let checked = check_hello(&first);
    if Hello::decode(&first).is_some() {
        // A Ballet agent of any version learns ours before we close.
        send(&mut write, Hello::ours().encode()).await?;
    }
    checked?;
    let mut state = noise::handshake(creds.private_key(), false)?;
    read_noise(&mut state, &next_frame(&mut read).await?)?;
    send(&mut write, write_noise(&mut state)?).await?;
    read_noise(&mut state, &next_frame(&mut read).await?)?;
    let key = state.get_remote_static().unwrap_or_default();
    if creds.is_operator(key) {
        return Ok(Accepted::Operator(Conn {
            peer: creds.site(),
            read,
            write,
            transport: into_transport(state)?,
        }));
    }
    let peer = creds
        .site_of(key)
        .filter(|site| *site != creds.site())
        .ok_or_else(|| NetError::Credentials("the caller's key is not in the roster".into()))?;
    Ok(Accepted::Site(Conn {
        peer,
        read,
        write,
        transport: into_transport(state)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_probe_for_dead_peers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (dialed, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let dialed = dialed.expect("connect");
        detect_dead_peers(&dialed);
        let socket = socket2::SockRef::from(&dialed);
        assert!(socket.keepalive().expect("keepalive"));
        assert_eq!(socket.tcp_keepalive_time().expect("idle"), KEEPALIVE_IDLE);
        #[cfg(target_os = "linux")]
        assert_eq!(
            socket.tcp_user_timeout().expect("user timeout"),
            Some(USER_TIMEOUT)
        );
        drop(accepted);
    }
}
