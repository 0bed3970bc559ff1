//! The status channel: `balletc status` asks an agent where it stands.
//!
//! The operator dials an agent's usual port and runs the same `Hello` and
//! Noise XX handshake as a site, with the operator key of the cluster's key
//! file (`keys.rs`). The listener recognizes that key and, instead of the
//! reliable stream, reads one sealed request frame (`link.rs`): for
//! `Status`, it seals the latest status the application published
//! ([`super::Sender::set_status`], opaque bytes) into one frame, sends it
//! and closes; for `Link`, it hands the connection to the application
//! (`balletc apply`), which only ever reads data from it. A caller without
//! the operator key or a site key is refused during the handshake and
//! learns nothing.
//!
//! ```text
//! operator                          agent
//!   Hello, Noise XX (operator key) ◀─▶ checks the key: the operator
//!   sealed [0] (Status)            ──▶
//!                                  ◀──  one sealed frame: the status bytes
//!                                       closes
//! ```

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::timeout;

use super::handshake::{self, Conn};
use super::keys::OperatorCredentials;
use super::link::{OperatorLink, Request};
use super::shared::Shared;
use super::NetError;
use crate::SiteId;

/// How long an operator has to send its request after the handshake.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Answers an authenticated operator's request: the current status (then
/// closes), or the connection handed to the application as a link.
pub(crate) async fn answer(shared: &Shared, conn: Conn) -> Result<(), NetError> {
    let mut link = OperatorLink::from_conn(conn);
    let request = timeout(REQUEST_TIMEOUT, link.recv())
        .await
        .map_err(|_| NetError::Protocol("the operator sent no request".into()))??;
    match Request::decode(&request) {
        Some(Request::Status) => {
            link.send(&shared.status()).await?;
            tracing::debug!(site = shared.site().0, "status sent to the operator");
            Ok(())
        }
        Some(Request::Link) => shared.hand_link(link),
        None => Err(NetError::Protocol("unknown operator request".into())),
    }
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
        let conn = handshake::dial_operator(stream, creds, site, max_frame).await?;
        let mut link = OperatorLink::from_conn(conn);
        link.send(&Request::Status.encode()).await?;
        link.recv().await
    };
    timeout(limit, exchange)
        .await
        .map_err(|_| NetError::Protocol(format!("no answer from `{address}` within {limit:?}")))?
}
