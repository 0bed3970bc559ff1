//! Frames on the wire and the messages inside them.
//!
//! Every frame is a 4-byte big-endian length followed by that many bytes
//! (tokio-util's `LengthDelimitedCodec`), and no frame may be longer than the
//! configured maximum: a longer length prefix is an error before a single
//! byte of the body is buffered. The first frame each way is a [`Hello`]
//! (magic and protocol version, in the clear), the next three are the Noise
//! handshake (see `handshake.rs`), and every later frame is one encrypted
//! [`Msg`] (see `noise.rs`).

use serde::{Deserialize, Serialize};
use tokio_util::codec::LengthDelimitedCodec;

/// The version of the agents' protocol. Any change to [`Msg`], to the
/// handshake, to the layout of frames or to what the agents put in them
/// (`agent::Payload`) bumps it; the layout of [`Hello`] never changes, so
/// that two versions can always tell each other apart. Version 2: facts
/// travel together, one payload per peer and event. Version 3: the facts
/// `Connected` and `Revoke`.
pub const PROTOCOL_VERSION: u16 = 3;

/// The magic bytes that open a [`Hello`]: an agent of another program (or a
/// stray HTTP client) is told apart from an agent of another version.
pub const MAGIC: [u8; 4] = *b"BLNT";

/// The smallest maximum frame length an agent accepts: room for the
/// handshake messages and for small payloads.
pub const MIN_MAX_FRAME: usize = 256;

/// The largest maximum frame length an agent accepts (the length prefix is a
/// `u32`; past a few MiB a frame should be a file transfer instead).
pub const MAX_MAX_FRAME: usize = 64 << 20;

/// The first frame each way, in the clear: who we are and which protocol
/// version we speak. Its layout is frozen across versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Always [`MAGIC`].
    pub magic: [u8; 4],
    /// The sender's [`PROTOCOL_VERSION`].
    pub version: u16,
}

impl Hello {
    /// The hello of this build.
    pub fn ours() -> Self {
        Hello {
            magic: MAGIC,
            version: PROTOCOL_VERSION,
        }
    }

    /// The encoded frame body.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing a fixed-size struct into a `Vec` cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Decodes a frame body; `None` unless it is exactly one `Hello` with
    /// the right magic (the version is checked by the caller, which logs it).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        match postcard::take_from_bytes::<Hello>(bytes) {
            Ok((hello, [])) if hello.magic == MAGIC => Some(hello),
            _ => None,
        }
    }
}

/// One message after the handshake. A connection carries one direction of
/// the reliable stream: the dialer sends `Data`, the listener sends `Ack`
/// (see `reliable.rs` for epochs and sequence numbers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// The payload with sequence number `seq` (1, 2, 3, … per ordered pair
    /// of sites and epoch, never reused).
    Data {
        /// The epoch of the sender's numbering.
        epoch: u64,
        /// The lowest sequence number the sender still keeps.
        first: u64,
        /// The sequence number.
        seq: u64,
        /// The opaque payload.
        payload: Vec<u8>,
    },
    /// Cumulative acknowledgement: every payload of `epoch` up to and
    /// including `upto` has been delivered (and checkpointed, when the
    /// receiver keeps state); the sender may forget them. The listener sends
    /// one right after the handshake: the dialer resumes after it.
    Ack {
        /// The epoch of the acknowledged numbering (0: none seen yet).
        epoch: u64,
        /// The highest acknowledged sequence number (0: none).
        upto: u64,
    },
}

impl Msg {
    /// The postcard encoding.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing plain data into a `Vec` cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Decodes exactly one message (trailing bytes are an error).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        match postcard::take_from_bytes::<Msg>(bytes) {
            Ok((msg, [])) => Some(msg),
            _ => None,
        }
    }

    /// The largest encoded size of a `Data` message beyond its payload's
    /// bytes: tag (1) + three `u64` varints (≤ 10 each) + length (≤ 10).
    pub fn data_overhead() -> usize {
        41
    }
}

/// The codec of every connection: 4-byte big-endian length prefix, frames of
/// at most `max_frame` bytes.
pub fn codec(max_frame: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .max_frame_length(max_frame)
        .new_codec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::bytes::BytesMut;
    use tokio_util::codec::Decoder;

    #[test]
    fn hello_round_trips_and_rejects_garbage() {
        let hello = Hello::ours();
        assert_eq!(Hello::decode(&hello.encode()), Some(hello));
        assert_eq!(Hello::decode(b"GET / HTTP/1.1"), None);
        let mut long = hello.encode();
        long.push(0);
        assert_eq!(Hello::decode(&long), None);
    }

    #[test]
    fn messages_round_trip_and_overhead_is_an_upper_bound() {
        let data = Msg::Data {
            epoch: u64::MAX,
            first: u64::MAX,
            seq: u64::MAX,
            payload: vec![7; 70_000],
        };
        let bytes = data.encode();
        assert!(bytes.len() <= 70_000 + Msg::data_overhead());
        assert_eq!(Msg::decode(&bytes), Some(data));
        assert_eq!(Msg::decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Msg::decode(&[9, 9, 9]), None);
    }

    #[test]
    fn oversized_length_prefix_is_an_error() {
        let mut codec = codec(MIN_MAX_FRAME);
        let mut buf = BytesMut::from(&[0xFF, 0xFF, 0xFF, 0xFF, 1, 2][..]);
        assert!(codec.decode(&mut buf).is_err());
    }
}
