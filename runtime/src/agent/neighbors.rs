//! Which sites talk to each other: a site sends facts only to the sites
//! whose instances its image refers to (connections, `wait`s, `con`s), and
//! hears only from the sites whose images refer to its instances. An
//! in-process run connects each site to those alone, in both directions,
//! instead of every pair: 100 CPS sites need about 400 links, not 9,900.

use std::collections::BTreeSet;

use crate::bytecode::SiteImage;
use crate::ids::SiteId;

/// For each site (global id = position in `images`), its neighbours:
/// the sites its image refers to and the sites whose images refer to it.
pub fn neighbors(images: &[&SiteImage]) -> Vec<BTreeSet<SiteId>> {
    let mut out = vec![BTreeSet::new(); images.len()];
    for (k, image) in images.iter().enumerate() {
        let me = SiteId::from_index(k);
        for site in &image.tables.sites {
            let other = site.global;
            if other != me && other.index() < images.len() {
                out[k].insert(other);
                out[other.index()].insert(me);
            }
        }
    }
    out
}
