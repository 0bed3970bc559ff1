//! An image seen as a [`Model`] and a [`Plan`], so the one implementation of
//! the semantics ([`System`]) runs it unchanged.

use super::image::SiteImage;
use crate::ids::{PlaceId, SiteId};
use crate::model::{Connection, Instance, Model, Site};
use crate::program::{Plan, Universe};
use crate::semantics::System;

/// A [`SiteImage`] rebuilt as the inputs of [`System::new`], in image-local
/// ids throughout.
///
/// The plan's universe is the image's instances and sites; only the local
/// site has a program (`plan.programs[local_site]`), every peer site's is
/// empty. The resulting [`System`] is therefore the *local* view: it knows
/// the local instances' states exactly, but the states of remote instances,
/// the pushes executed by peer sites and the `dcon`s they reached are facts a
/// site agent must learn from its peers (SEMANTICS.md §5). A VM steps the
/// local instances with [`System`] and resolves each `Requirement` or `wait`
/// that involves a remote instance (image instances whose `site` is not
/// `local_site`) from the facts its peers sent, mapping ids with the image's
/// `global` fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteView {
    /// The image's interfaces and types.
    pub model: Model,
    /// The image's universe, with the local program.
    pub plan: Plan,
    /// The start place of each image instance (`None` for remote ones and
    /// for those created by `add`).
    pub start_places: Vec<Option<PlaceId>>,
    /// The start connections touching a local instance.
    pub start_connections: Vec<Connection>,
    /// The site the image runs on.
    pub local_site: SiteId,
}

impl SiteImage {
    /// The image as a model and a plan (see [`SiteView`]). Meant for images
    /// that pass [`SiteImage::validate`], as decoded ones do.
    pub fn view(&self) -> SiteView {
        let t = &self.tables;
        let mut programs = vec![Vec::new(); t.sites.len()];
        if let Some(p) = programs.get_mut(t.local_site.index()) {
            p.clone_from(&self.code);
        }
        SiteView {
            model: Model {
                interfaces: t.interfaces.clone(),
                types: t.types.clone(),
            },
            plan: Plan {
                universe: Universe {
                    sites: t
                        .sites
                        .iter()
                        .map(|s| Site {
                            name: s.name.clone(),
                        })
                        .collect(),
                    instances: t
                        .instances
                        .iter()
                        .map(|i| Instance {
                            name: i.name.clone(),
                            ty: i.ty,
                            site: i.site,
                        })
                        .collect(),
                },
                programs,
            },
            start_places: t.instances.iter().map(|i| i.start).collect(),
            start_connections: t.start_connections.clone(),
            local_site: t.local_site,
        }
    }
}

impl SiteView {
    /// The local system at the start of the image's program.
    pub fn system(&self) -> System {
        System::new(
            &self.model,
            &self.plan,
            &self.start_places,
            self.start_connections.iter().copied(),
        )
    }
}
