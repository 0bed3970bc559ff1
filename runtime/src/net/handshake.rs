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
//! Each step is one frame. The prologue of the handshake holds the version,
//! so a `Hello` altered on the way makes the handshake fail.

use futures_util::{SinkExt, StreamExt};
use snow::{HandshakeState, StatelessTransportState};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::bytes::Bytes;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use super::frame::{codec, Hello, PROTOCOL_VERSION};
use super::keys::Credentials;
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

/// Reads the next frame; the end of the stream and codec errors (an
/// oversized length prefix) are protocol errors.
pub async fn next_frame(
    read: &mut FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
) -> Result<Vec<u8>, NetError> {
    match read.next().await {
        Some(Ok(frame)) => Ok(frame.to_vec()),
        Some(Err(e)) => Err(NetError::Protocol(format!("bad frame: {e}"))),
        None => Err(NetError::Protocol("connection closed".into())),
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
    let (r, w) = stream.into_split();
    (
        FramedRead::new(r, codec(max_frame)),
        FramedWrite::new(w, codec(max_frame)),
    )
}

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
    let (mut read, mut write) = framed(stream, max_frame);
    send(&mut write, Hello::ours().encode()).await?;
    check_hello(&next_frame(&mut read).await?)?;
    let mut state = noise::handshake(creds.private_key(), true)?;
    send(&mut write, write_noise(&mut state)?).await?;
    read_noise(&mut state, &next_frame(&mut read).await?)?;
    let want = creds
        .public_key(expected)
        .ok_or_else(|| NetError::Credentials(format!("no key for site #{}", expected.0)))?;
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

/// Accepts a connection over `stream`: the caller's site comes from its key.
pub async fn accept(
    stream: TcpStream,
    creds: &Credentials,
    max_frame: usize,
) -> Result<Conn, NetError> {
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
    let peer = state
        .get_remote_static()
        .and_then(|key| creds.site_of(key))
        .filter(|site| *site != creds.site())
        .ok_or_else(|| NetError::Credentials("the caller's key is not in the roster".into()))?;
    Ok(Conn {
        peer,
        read,
        write,
        transport: into_transport(state)?,
    })
}
