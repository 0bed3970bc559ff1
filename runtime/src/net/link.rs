//! The operator's two-way link to one agent (`balletc apply`).
//!
//! An operator connection (`status.rs`) starts with one sealed request
//! frame: [`Request::Status`] gets today's one-frame answer, and
//! [`Request::Link`] turns the connection into an [`OperatorLink`] handed to
//! the application ([`super::Sender::operator_links`]), which then exchanges
//! sealed frames with the operator until either side closes. The transport
//! never interprets those frames: the application does, and it treats them
//! as data (a goal name, parameters, a start state), never as commands to
//! run. An agent whose application has not asked for links refuses the
//! request and closes the connection.
//!
//! ```text
//! operator                              agent
//!   Hello, Noise XX (operator key) ◀──▶ checks the key: the operator
//!   sealed [1] (Link)              ───▶ hands the link to the application
//!   sealed frames                  ◀──▶ sealed frames
//! ```

use std::time::Duration;

use futures_util::SinkExt;
use snow::StatelessTransportState;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_util::bytes::Bytes;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use super::handshake::{self, next_frame, Conn};
use super::keys::OperatorCredentials;
use super::noise::{Opener, Sealer};
use super::NetError;
use crate::SiteId;

/// What the operator asks for, in the first sealed frame after the
/// handshake (one byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// The agent's status, one frame, then the agent closes.
    Status,
    /// A two-way link for the application ([`OperatorLink`]).
    Link,
}

impl Request {
    /// The request as its frame's plain text.
    pub fn encode(self) -> Vec<u8> {
        match self {
            Request::Status => vec![0],
            Request::Link => vec![1],
        }
    }

    /// A request from its frame's plain text; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<Request> {
        match bytes {
            [0] => Some(Request::Status),
            [1] => Some(Request::Link),
            _ => None,
        }
    }
}

/// An authenticated, encrypted two-way link between the operator and one
/// agent: sealed frames each way, in order.
pub struct OperatorLink {
    read: FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    write: FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
    transport: StatelessTransportState,
    sealer: Sealer,
    opener: Opener,
}

impl std::fmt::Debug for OperatorLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorLink").finish_non_exhaustive()
    }
}

impl OperatorLink {
    pub(crate) fn from_conn(conn: Conn) -> OperatorLink {
        OperatorLink {
            read: conn.read,
            write: conn.write,
            transport: conn.transport,
            sealer: Sealer::new(),
            opener: Opener::new(),
        }
    }

    /// Sends one message (at most a frame, sealed).
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        let frame = self.sealer.seal(&self.transport, bytes)?;
        self.write.send(Bytes::from(frame)).await?;
        SinkExt::<Bytes>::flush(&mut self.write).await?;
        Ok(())
    }

    /// The next message; `Err` once the other side has closed or broke the
    /// protocol. Cancel-safe: a `select!` may drop it between frames.
    pub async fn recv(&mut self) -> Result<Vec<u8>, NetError> {
        let frame = next_frame(&mut self.read).await?;
        self.opener.open(&self.transport, &frame)
    }
}

/// Opens a link to the agent of `site` at `address`, as the operator.
/// Fails if the agent is unreachable, is not `site`, refuses the operator
/// key, or the handshake does not end within `limit`.
pub async fn open_link(
    address: &str,
    creds: &OperatorCredentials,
    site: SiteId,
    max_frame: usize,
    limit: Duration,
) -> Result<OperatorLink, NetError> {
    let opening = async {
        let stream = TcpStream::connect(address).await?;
        let conn = handshake::dial_operator(stream, creds, site, max_frame).await?;
        let mut link = OperatorLink::from_conn(conn);
        link.send(&Request::Link.encode()).await?;
        Ok(link)
    };
    timeout(limit, opening)
        .await
        .map_err(|_| NetError::Protocol(format!("no answer from `{address}` within {limit:?}")))?
}
