//! Encryption and authentication with the Noise protocol (the `snow` crate):
//! the `Noise_XX_25519_ChaChaPoly_BLAKE2s` pattern, both sides with static
//! keys from the cluster's key file. XX sends each static key encrypted, so
//! the listener learns who is calling from the handshake itself and checks
//! the key against the roster; the dialer checks that the listener's key is
//! the one of the site it meant to call. Nothing here is cryptography of our
//! own: this module only cuts frames into Noise messages and counts nonces.

use snow::params::NoiseParams;
use snow::{Builder, HandshakeState, StatelessTransportState};

use super::frame::PROTOCOL_VERSION;
use super::NetError;

/// The Noise protocol name.
const PATTERN: &str = "Noise_XX_25519_ChaChaPoly_BLAKE2s";

/// The length of an X25519 key.
pub const KEY_LEN: usize = 32;

/// The longest Noise message (the protocol's limit).
const MAX_NOISE: usize = 65535;

/// The authentication tag added to every Noise transport message.
const TAG_LEN: usize = 16;

/// The longest plaintext in one Noise transport message.
const MAX_CHUNK: usize = MAX_NOISE - TAG_LEN;

fn params() -> Result<NoiseParams, NetError> {
    PATTERN
        .parse()
        .map_err(|e| NetError::Credentials(format!("Noise parameters: {e}")))
}

/// The prologue both sides mix into the handshake: the protocol and its
/// version, so that a tampered-with `Hello` makes the handshake fail.
fn prologue() -> Vec<u8> {
    let mut p = b"ballet-net/".to_vec();
    p.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    p
}

/// A fresh static key pair `(public, private)`.
pub fn generate_keypair() -> Result<([u8; KEY_LEN], [u8; KEY_LEN]), NetError> {
    let keypair = Builder::new(params()?)
        .generate_keypair()
        .map_err(|e| NetError::Credentials(format!("key generation: {e}")))?;
    let public = keypair.public.as_slice().try_into();
    let private = keypair.private.as_slice().try_into();
    match (public, private) {
        (Ok(public), Ok(private)) => Ok((public, private)),
        _ => Err(NetError::Credentials("unexpected key length".into())),
    }
}

/// The handshake state of one side.
pub fn handshake(private: &[u8; KEY_LEN], initiator: bool) -> Result<HandshakeState, NetError> {
    let prologue = prologue();
    let builder = Builder::new(params()?)
        .local_private_key(private)
        .and_then(|b| b.prologue(&prologue))
        .map_err(|e| NetError::Credentials(format!("Noise: {e}")))?;
    let state = if initiator {
        builder.build_initiator()
    } else {
        builder.build_responder()
    };
    state.map_err(|e| NetError::Credentials(format!("Noise: {e}")))
}

/// The bytes on the wire of a frame whose plaintext has `plain` bytes.
pub fn sealed_len(plain: usize) -> usize {
    plain + TAG_LEN * plain.div_ceil(MAX_CHUNK).max(1)
}

/// The longest plaintext that fits in a frame of `max_frame` bytes.
pub fn max_plain(max_frame: usize) -> usize {
    let chunks = max_frame.div_ceil(MAX_NOISE).max(1);
    max_frame.saturating_sub(TAG_LEN * chunks)
}

/// One direction's nonce counter over a shared transport state. Each
/// connection has one `Sealer` (writer) and one `Opener` (reader); they can
/// run concurrently because the stateless transport takes explicit nonces.
pub struct Sealer {
    nonce: u64,
}

/// See [`Sealer`].
pub struct Opener {
    nonce: u64,
}

impl Sealer {
    /// A counter for a fresh transport.
    pub fn new() -> Self {
        Sealer { nonce: 0 }
    }

    /// Encrypts `plain` as one frame: consecutive Noise messages of at most
    /// 65535 bytes each (the last one shorter), each with the next nonce.
    pub fn seal(
        &mut self,
        transport: &StatelessTransportState,
        plain: &[u8],
    ) -> Result<Vec<u8>, NetError> {
        let mut out = vec![0; sealed_len(plain.len())];
        let mut at = 0;
        let mut chunks = plain.chunks(MAX_CHUNK).peekable();
        // An empty plaintext is still one (tag-only) message.
        let empty: &[u8] = &[];
        let mut only_empty = chunks.peek().is_none().then_some(empty);
        while let Some(chunk) = chunks.next().or_else(|| only_empty.take()) {
            let end = at + chunk.len() + TAG_LEN;
            let slot = out
                .get_mut(at..end)
                .ok_or(NetError::Protocol("seal".into()))?;
            transport
                .write_message(self.nonce, chunk, slot)
                .map_err(|e| NetError::Protocol(format!("encrypt: {e}")))?;
            self.nonce += 1;
            at = end;
        }
        Ok(out)
    }
}

impl Opener {
    /// A counter for a fresh transport.
    pub fn new() -> Self {
        Opener { nonce: 0 }
    }

    /// Decrypts one frame made by [`Sealer::seal`]. Any tampering (a flipped
    /// bit, a dropped, reordered or replayed chunk or frame) fails here.
    pub fn open(
        &mut self,
        transport: &StatelessTransportState,
        frame: &[u8],
    ) -> Result<Vec<u8>, NetError> {
        if frame.len() < TAG_LEN {
            return Err(NetError::Protocol("frame shorter than a tag".into()));
        }
        let mut out = vec![0; frame.len()];
        let mut len = 0;
        for chunk in frame.chunks(MAX_NOISE) {
            let slot = out
                .get_mut(len..)
                .ok_or(NetError::Protocol("open".into()))?;
            let n = transport
                .read_message(self.nonce, chunk, slot)
                .map_err(|e| NetError::Protocol(format!("decrypt: {e}")))?;
            self.nonce += 1;
            len += n;
        }
        out.truncate(len);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs XX between two fresh key pairs and returns both transports.
    fn pair() -> (StatelessTransportState, StatelessTransportState) {
        let (_, a) = generate_keypair().expect("key");
        let (_, b) = generate_keypair().expect("key");
        let mut i = handshake(&a, true).expect("initiator");
        let mut r = handshake(&b, false).expect("responder");
        let mut buf = [0u8; 1024];
        let mut scratch = [0u8; 1024];
        let n = i.write_message(&[], &mut buf).expect("m1");
        r.read_message(&buf[..n], &mut scratch).expect("m1");
        let n = r.write_message(&[], &mut buf).expect("m2");
        i.read_message(&buf[..n], &mut scratch).expect("m2");
        let n = i.write_message(&[], &mut buf).expect("m3");
        r.read_message(&buf[..n], &mut scratch).expect("m3");
        (
            i.into_stateless_transport_mode().expect("i"),
            r.into_stateless_transport_mode().expect("r"),
        )
    }

    #[test]
    fn frames_of_every_size_round_trip_and_tampering_fails() {
        let (i, r) = pair();
        let (mut seal, mut open) = (Sealer::new(), Opener::new());
        for len in [
            0,
            1,
            MAX_CHUNK - 1,
            MAX_CHUNK,
            MAX_CHUNK + 1,
            3 * MAX_CHUNK + 5,
        ] {
            let plain: Vec<u8> = (0..len).map(|x| x as u8).collect();
            let sealed = seal.seal(&i, &plain).expect("seal");
            assert_eq!(sealed.len(), sealed_len(len));
            assert!(sealed.len() > max_plain(sealed.len()) || len == 0);
            assert_eq!(open.open(&r, &sealed).expect("open"), plain);
        }
        let mut sealed = seal.seal(&i, b"hello").expect("seal");
        sealed[2] ^= 1;
        assert!(open.open(&r, &sealed).is_err());
        assert!(open.open(&r, b"short").is_err());
    }

    #[test]
    fn max_plain_fits() {
        for max in [256, 65535, 65536, 200_000, 1 << 20] {
            assert!(sealed_len(max_plain(max)) <= max, "{max}");
        }
    }
}
