//! The status channel: `balletc status` asks an agent where it stands.
//!
//! The operator dials an agent's usual port and runs the same `Hello` and
//! Noise XX handshake as a site, with the operator key of the cluster's key
//! file (`keys.rs`). The listener recognizes that key and, instead of the
//! reliable stream, seals the latest status the application published
//! ([`super::Sender::set_status`], opaque bytes) into one frame, sends it
//! and closes. Nothing is ever read from the operator after the handshake,
//! so the channel cannot carry a command; a caller without the operator key
//! or a site key is refused during the handshake and learns nothing.
//!
//! ```text
//! operator                          agent
//!   Hello, Noise XX (operator key) ◀─▶ checks the key: the operator
//!                                  ◀──  one sealed frame: the status bytes
//!                                       closes
//! ```

use std::time::Duration;

use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_util::bytes::Bytes;

use super::handshake::{self, next_frame, Conn};
use super::keys::OperatorCredentials;
use super::noise::{Opener, Sealer};
use super::shared::Shared;
use super::NetError;
use crate::SiteId;

/// Answers an authenticated operator with the current status, then closes.
pub(crate) async fn answer(shared: &Shared, conn: Conn) -> Result<(), NetError> {
    let Conn {
        mut write,
        transport,
        ..
    } = conn;
    let status = shared.status();
    let frame = Sealer::new().seal(&transport, &status)?;
    write.send(Bytes::from(frame)).await?;
    SinkExt::<Bytes>::flush(&mut write).await?;
    tracing::debug!(site = shared.site().0, "status sent to the operator");
    Ok(())
}

/// Asks the agent of `site` at `address` for its status, as the operator:
/// the bytes its application published (empty if none yet). Fails if the
/// agent is unreachable, is not `site` (another key), refuses the operator
/// key, or does not answer within `limit`.
pub async fn query_status(
    address: &str,
    creds: &OperatorCredentials,
    site: SiteId,
    max_frame: usize,
    limit: Duration,
) -> Result<Vec<u8>, NetError> {
    let exchange = async {
        let stream = TcpStream::connect(address).await?;
        let mut conn = handshake::dial_operator(stream, creds, site, max_frame).await?;
        let frame = next_frame(&mut conn.read).await?;
        Opener::new().open(&conn.transport, &frame)
    };
    timeout(limit, exchange)
        .await
        .map_err(|_| NetError::Protocol(format!("no answer from `{address}` within {limit:?}")))?
}
