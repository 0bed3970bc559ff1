//! The contents of a site image: its tables, its code and its debug info.

use serde::{Deserialize, Serialize};

use crate::ids::{InstanceId, PlaceId, SiteId, TypeId};
use crate::model::{ComponentType, Connection};
use crate::program::Instruction;

/// Everything one site needs to run its part of a plan.
///
/// Every id inside an image (in the tables, the code and the connections) is
/// *image-local*: it indexes the image's own tables, which hold only what the
/// site uses. The `global` fields map sites and instances back to the plan's
/// universe, which is how sites name instances to each other.
///
/// Images built by [`SiteImage::new`] or returned by [`super::decode`] pass
/// [`SiteImage::validate`]; code that builds one by hand should call it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteImage {
    /// The tables.
    pub tables: Tables,
    /// The program of the local site, in image-local ids.
    pub code: Vec<Instruction>,
    /// Source locations of the instructions, kept apart from the code.
    pub debug: DebugInfo,
}

/// The tables section of a [`SiteImage`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tables {
    /// The site this image runs on (an index into `sites`).
    pub local_site: SiteId,
    /// The local site and every peer site the image refers to, sorted by
    /// their global id.
    pub sites: Vec<ImageSite>,
    /// Interface names used by the ports of `types`, in model order.
    pub interfaces: Vec<String>,
    /// The component types of `instances` (and of `add`s), in model order;
    /// their port interfaces index `interfaces`.
    pub types: Vec<ComponentType>,
    /// Every instance of the local site and every remote instance the code or
    /// the start connections refer to, sorted by their global id.
    pub instances: Vec<ImageInstance>,
    /// The connections at the start that touch a local instance.
    pub start_connections: Vec<Connection>,
}

/// A site of the plan's universe, as an image sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSite {
    /// Its name, the key of `inventory.toml`.
    pub name: String,
    /// Its id in the plan's universe.
    pub global: SiteId,
}

/// An instance of the plan's universe, as an image sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInstance {
    /// Its name.
    pub name: String,
    /// Its type (an index into the image's types).
    pub ty: TypeId,
    /// Its site (an index into the image's sites).
    pub site: SiteId,
    /// Its id in the plan's universe.
    pub global: InstanceId,
    /// For a local instance that exists at the start, the place it is at;
    /// `None` for an instance created by `add` and for every remote instance
    /// (its state is known only through its own site).
    pub start: Option<PlaceId>,
}

/// Where an instruction comes from, as the compiler gives it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DebugLoc {
    /// The source file, as the user named it (`examples/cps.blt`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// A short text saying what produced the instruction (`goal update`).
    pub origin: String,
}

/// The debug section: source locations with the file names shared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugInfo {
    /// File names, indexed by [`DebugSpan::file`].
    pub files: Vec<String>,
    /// One entry per instruction of the code.
    pub spans: Vec<Option<DebugSpan>>,
}

/// A [`DebugLoc`] with its file as an index into [`DebugInfo::files`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugSpan {
    /// An index into [`DebugInfo::files`].
    pub file: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What produced the instruction.
    pub origin: String,
}

impl SiteImage {
    /// The local site's name.
    pub fn site_name(&self) -> &str {
        self.tables
            .sites
            .get(self.tables.local_site.index())
            .map_or("", |s| s.name.as_str())
    }

    /// The image id of the universe instance `global`, if the image holds it.
    pub fn instance_of_global(&self, global: InstanceId) -> Option<InstanceId> {
        self.tables
            .instances
            .binary_search_by_key(&global, |i| i.global)
            .ok()
            .map(InstanceId::from_index)
    }

    /// The image id of the universe site `global`, if the image holds it.
    pub fn site_of_global(&self, global: SiteId) -> Option<SiteId> {
        self.tables
            .sites
            .binary_search_by_key(&global, |s| s.global)
            .ok()
            .map(SiteId::from_index)
    }

    /// The source location of instruction `pc`, if known.
    pub fn debug_loc(&self, pc: usize) -> Option<DebugLoc> {
        let span = self.debug.spans.get(pc)?.as_ref()?;
        Some(DebugLoc {
            file: self.debug.files.get(span.file as usize)?.clone(),
            line: span.line,
            column: span.column,
            origin: span.origin.clone(),
        })
    }
}
