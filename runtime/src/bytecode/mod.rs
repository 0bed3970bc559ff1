//! Per-site bytecode: the compiled unit one site agent loads and runs.
//!
//! A [`SiteImage`] holds everything one site needs (the Rune/Gluon "unit"
//! shape): tables (sites, interfaces, component types with their places,
//! transitions, behaviors and ports, instances with their start places, start
//! connections), an instruction stream referring to them by image-local
//! index, and debug locations kept apart in their own section.
//!
//! # File layout (format version [`FORMAT_VERSION`])
//!
//! All integers of the frame are little-endian.
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 4 | magic [`MAGIC`] (`BLTC`) |
//! | 4 | 2 | format version (`u16`) |
//! | 6 | 24 | section lengths: tables, code, debug (three `u64`) |
//! | 30 | … | the three sections, each a `postcard` encoding of [`Tables`], `Vec<Instruction>` and [`DebugInfo`] |
//! | end − 4 | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! [`decode`] checks, in this order: the magic, the version (so a file of
//! another version is reported as such, whatever its layout), the lengths,
//! the checksum, each section's encoding, and finally every index and the
//! structural invariants the semantics relies on ([`SiteImage::validate`]),
//! so a loaded image can be indexed without panicking. Any change to the
//! layout or to the serialized types bumps [`FORMAT_VERSION`].

mod build;
mod disasm;
mod error;
mod frame;
mod image;
mod validate;
mod view;

pub use build::ImageBuilder;
pub use disasm::disassemble;
pub use error::LoadError;
pub use frame::{decode, encode, FORMAT_VERSION, MAGIC};
pub use image::{DebugInfo, DebugLoc, DebugSpan, ImageInstance, ImageSite, SiteImage, Tables};
pub use view::SiteView;
