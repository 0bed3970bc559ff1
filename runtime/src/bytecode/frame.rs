//! The file frame: magic, version, section lengths, sections, checksum.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::LoadError;
use super::image::{DebugInfo, SiteImage, Tables};
use crate::program::Instruction;

/// The first four bytes of every bytecode file.
pub const MAGIC: [u8; 4] = *b"BLTC";

/// The format version this code writes and reads. Bump it on any change to
/// the frame or to the serialized types.
pub const FORMAT_VERSION: u16 = 1;

/// Magic, version and the three section lengths.
const HEADER_LEN: usize = 4 + 2 + 3 * 8;
/// The trailing CRC-32.
const CHECKSUM_LEN: usize = 4;

/// Encodes an image as the bytes of a `.bltc` file.
pub fn encode(image: &SiteImage) -> Vec<u8> {
    let sections = [
        section(&image.tables),
        section(&image.code),
        section(&image.debug),
    ];
    let body: usize = sections.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(HEADER_LEN + body + CHECKSUM_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    for s in &sections {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    }
    for s in &sections {
        out.extend_from_slice(s);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn section<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serializing into a growable buffer cannot fail for our types: postcard
    // fails only on a full buffer or on sequences of unknown length, and the
    // image holds only structs, enums, strings, options and `Vec`s.
    postcard::to_allocvec(value).expect("site images serialize")
}

/// Decodes and validates a `.bltc` file. Never panics: every defect is a
/// [`LoadError`].
pub fn decode(bytes: &[u8]) -> Result<SiteImage, LoadError> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(LoadError::BadMagic);
    }
    let version = bytes.get(4..6).ok_or(LoadError::Truncated)?;
    let found = u16::from_le_bytes([version[0], version[1]]);
    if found != FORMAT_VERSION {
        return Err(LoadError::UnsupportedVersion {
            found,
            supported: FORMAT_VERSION,
        });
    }
    let header = bytes.get(..HEADER_LEN).ok_or(LoadError::Truncated)?;
    let mut lens = [0usize; 3];
    for (i, len) in lens.iter_mut().enumerate() {
        let at = 6 + 8 * i;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&header[at..at + 8]);
        *len = usize::try_from(u64::from_le_bytes(raw)).map_err(|_| LoadError::Truncated)?;
    }
    let expected = lens
        .iter()
        .try_fold(HEADER_LEN + CHECKSUM_LEN, |acc, &l| acc.checked_add(l))
        .ok_or(LoadError::Truncated)?;
    if bytes.len() < expected {
        return Err(LoadError::Truncated);
    }
    if bytes.len() > expected {
        return Err(LoadError::Malformed(format!(
            "{} bytes after the checksum",
            bytes.len() - expected
        )));
    }
    let (content, stored) = bytes.split_at(expected - CHECKSUM_LEN);
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let computed = crc32fast::hash(content);
    if stored != computed {
        return Err(LoadError::ChecksumMismatch { stored, computed });
    }
    let body = &content[HEADER_LEN..];
    let (tables, body) = body.split_at(lens[0]);
    let (code, debug) = body.split_at(lens[1]);
    let image = SiteImage {
        tables: parse::<Tables>(tables, "tables")?,
        code: parse::<Vec<Instruction>>(code, "code")?,
        debug: parse::<DebugInfo>(debug, "debug")?,
    };
    image.validate()?;
    Ok(image)
}

fn parse<T: DeserializeOwned>(bytes: &[u8], name: &str) -> Result<T, LoadError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(LoadError::Malformed(format!(
            "{} unused bytes at the end of the {name} section",
            rest.len()
        ))),
        Err(e) => Err(LoadError::Malformed(format!(
            "the {name} section does not decode: {e}"
        ))),
    }
}
