//! Byte spans into one source text.
//!
//! The grammar knows nothing about files: a [`Span`] is a half-open byte range
//! into the text that was parsed. The compiler pairs it with a file id.

use std::fmt;
use std::ops::Range;

/// A half-open byte range `start..end` into the parsed text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets. Offsets past `u32::MAX` saturate: sources are
    /// limited to 4 GiB, which the loader enforces before parsing.
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span as a `usize` range, for slicing and for codespan.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Shifts the span right by `offset` bytes (used for sub-parses of
    /// interpolations, whose offsets are relative to the name token).
    pub fn shifted(self, offset: u32) -> Span {
        Span {
            start: self.start.saturating_add(offset),
            end: self.end.saturating_add(offset),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
