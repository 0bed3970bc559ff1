//! The transport's private decoders on plain bytes, for the fuzz targets
//! under `tests/fuzz/` and the tests that replay what they found (only with
//! the `fuzzing` feature).
//!
//! Each entry point runs the code an agent runs on what arrives from a
//! socket or a disk, without the sockets: the same codec, the same hello
//! check and Noise handshake steps, the same reliable-delivery state, the
//! same state-file parser. Bad input is an `Err`; a panic is a bug.

use tokio_util::bytes::BytesMut;
use tokio_util::codec::Decoder;

use super::frame::{codec, Msg, MIN_MAX_FRAME};
use super::handshake::{check_hello, into_transport, read_noise, write_noise};
use super::noise;
use super::shared::Shared;
use super::state::{Persist, Snapshot, Start};
use super::NetError;
use crate::SiteId;

/// The frame limit of the entry points: the smallest an agent accepts, so
/// that inputs reach it.
pub const MAX_FRAME: usize = MIN_MAX_FRAME;

/// The listener's static key in [`accept`]: any fixed key does, since no
/// input can prove a roster key without its private half.
const LISTENER_KEY: [u8; noise::KEY_LEN] = [7; noise::KEY_LEN];

/// Cuts `bytes`, a connection's incoming stream up to its end, into frames
/// with the agents' codec (at most `max_frame` bytes each). The result says
/// how the stream ended: cleanly after a whole frame, or with an error (an
/// oversized length prefix, a truncated frame), where an agent closes the
/// connection.
pub fn frames(bytes: &[u8], max_frame: usize) -> (Vec<Vec<u8>>, Result<(), NetError>) {
    let mut codec = codec(max_frame);
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    loop {
        // `decode` while bytes arrive, `decode_eof` once the peer has
        // closed: what `FramedRead` does.
        let next = match codec.decode(&mut buf) {
            Ok(None) => codec.decode_eof(&mut buf),
            other => other,
        };
        match next {
            Ok(Some(frame)) => out.push(frame.to_vec()),
            Ok(None) => return (out, Ok(())),
            Err(e) => return (out, Err(NetError::Protocol(format!("bad frame: {e}")))),
        }
    }
}

/// What a listener does with the frames of a connection that nobody has
/// authenticated yet: the caller's `Hello`, then messages 1 and 3 of the
/// Noise XX handshake (answering message 2 in between). `Ok` only if the
/// frames complete the handshake, which needs a static key's private half.
pub fn accept(frames: &[Vec<u8>]) -> Result<(), NetError> {
    let frame = |i: usize| {
        frames
            .get(i)
            .ok_or_else(|| NetError::Protocol("connection closed".into()))
    };
    check_hello(frame(0)?)?;
    let mut state = noise::handshake(&LISTENER_KEY, false)?;
    read_noise(&mut state, frame(1)?)?;
    write_noise(&mut state)?;
    read_noise(&mut state, frame(2)?)?;
    into_transport(state).map(|_| ())
}

/// What site 0 does with the decrypted messages of its authenticated peer,
/// site 1, one message per frame: `Data` goes through the reliable inbox and
/// whatever is ready is delivered and taken by the application at once;
/// `Ack` is applied to site 0's outbox towards site 1, which holds three
/// payloads. Returns the `(epoch, sequence number)` of every delivered
/// payload in delivery order, and how the connection ended (`Err` at the
/// first message an agent refuses: there it closes the connection).
pub fn receive(frames: &[Vec<u8>]) -> (Vec<(u64, u64)>, Result<(), NetError>) {
    let (site, peer) = (SiteId(0), SiteId(1));
    let built = Shared::build(
        site,
        &[peer],
        Persist::Nothing,
        MAX_FRAME,
        Start::Fresh(1),
        None,
        None,
    );
    let (shared, mut inbound) = match built {
        Ok(built) => built,
        Err(e) => return (Vec::new(), Err(e)),
    };
    let mut delivered = Vec::new();
    for i in 0..3u8 {
        if let Err(e) = shared.send(peer, vec![i]) {
            return (delivered, Err(e));
        }
    }
    for frame in frames {
        match Msg::decode(frame) {
            Some(Msg::Data {
                epoch,
                first,
                seq,
                payload,
            }) => shared.on_data(peer, epoch, first, seq, payload),
            Some(Msg::Ack { epoch, upto }) => shared.on_ack(peer, epoch, upto),
            None => {
                let e = NetError::Protocol("malformed message".into());
                return (delivered, Err(e));
            }
        }
        while let Ok((from, epoch, seq, _)) = inbound.try_recv() {
            shared.taken(from, epoch, seq);
            delivered.push((epoch, seq));
        }
    }
    (delivered, Ok(()))
}

/// What `start` does with a state file: parses it and builds the state of
/// the site it names with the peers it names (so that a parsed file is
/// never refused for its site or peers), then queues one more payload for
/// every peer, as the application would. Returns the snapshot after that.
pub fn restore(bytes: &[u8]) -> Result<Snapshot, NetError> {
    let snapshot = Snapshot::from_bytes(bytes)?;
    let site = snapshot.site;
    let peers: Vec<SiteId> = snapshot.peers.iter().map(|p| p.peer).collect();
    let (shared, _inbound) = Shared::build(
        site,
        &peers,
        Persist::Nothing,
        MAX_FRAME,
        Start::Restored(snapshot),
        None,
        None,
    )?;
    for &peer in &peers {
        shared.send(peer, b"after a restart".to_vec())?;
    }
    Ok(shared.snapshot())
}

/// Examples of what [`receive`] takes, for seed corpora: streams of frames
/// (length prefix and encoded message) as a peer sends them, in order,
/// duplicated, reordered, across a new epoch, with acknowledgements.
pub fn sample_streams() -> Vec<Vec<u8>> {
    let data = |epoch, first, seq: u64| Msg::Data {
        epoch,
        first,
        seq,
        payload: seq.to_le_bytes().to_vec(),
    };
    let streams = [
        vec![data(5, 1, 1), data(5, 1, 2), data(5, 1, 3)],
        vec![data(5, 1, 2), data(5, 1, 1), data(5, 1, 1), data(5, 1, 3)],
        vec![data(5, 1, 1), data(9, 4, 4), data(9, 4, 5), data(5, 1, 2)],
        vec![
            Msg::Ack { epoch: 1, upto: 2 },
            data(5, 1, 1),
            Msg::Ack { epoch: 1, upto: 3 },
        ],
        vec![data(u64::MAX, u64::MAX - 1, u64::MAX - 1)],
    ];
    streams
        .iter()
        .map(|msgs| {
            let mut out = Vec::new();
            for msg in msgs {
                let body = msg.encode();
                let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(&body);
            }
            out
        })
        .collect()
}
