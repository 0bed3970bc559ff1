//! Why a bytecode file was rejected.

use std::fmt;

/// Why [`super::decode`] rejected a file. Every malformed input ends here;
/// loading never panics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The file does not start with [`super::MAGIC`]: not a Ballet bytecode file.
    BadMagic,
    /// The file was written in a format version this loader does not read.
    UnsupportedVersion {
        /// The version in the file.
        found: u16,
        /// The version this loader reads.
        supported: u16,
    },
    /// The file ends before its header, sections or checksum do.
    Truncated,
    /// The checksum does not match the contents: the file is corrupted.
    ChecksumMismatch {
        /// The checksum stored in the file.
        stored: u32,
        /// The checksum of the contents.
        computed: u32,
    },
    /// An index does not refer to an entry of its table.
    IndexOutOfRange {
        /// What the index refers to, and where it was found.
        what: String,
        /// The index.
        index: u64,
        /// The length of the table.
        len: u64,
    },
    /// Anything else: a section that does not decode, trailing bytes, a
    /// broken structural invariant.
    Malformed(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::BadMagic => write!(f, "not a Ballet bytecode file (bad magic bytes)"),
            LoadError::UnsupportedVersion { found, supported } => write!(
                f,
                "bytecode format version {found} is not supported (this balletc reads version {supported}); rebuild the plan"
            ),
            LoadError::Truncated => write!(f, "the bytecode file is truncated"),
            LoadError::ChecksumMismatch { stored, computed } => write!(
                f,
                "the bytecode file is corrupted: checksum {stored:08x} stored, {computed:08x} computed"
            ),
            LoadError::IndexOutOfRange { what, index, len } => write!(
                f,
                "invalid bytecode: {what} index {index} is out of range (the table has {len} entries)"
            ),
            LoadError::Malformed(why) => write!(f, "invalid bytecode: {why}"),
        }
    }
}

impl std::error::Error for LoadError {}
