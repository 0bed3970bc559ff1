//! Building a [`SiteImage`] from a plan: picking what one site needs and
//! renumbering it densely.

use std::collections::{BTreeSet, HashMap};

use super::image::{DebugInfo, DebugLoc, DebugSpan, ImageInstance, ImageSite, SiteImage, Tables};
use crate::ids::{InstanceId, InterfaceId, PlaceId, SiteId, TypeId};
use crate::model::{Connection, Endpoint, Model, Port};
use crate::program::{Instruction, Plan};

/// A sorted table of global ids; an id's position is its image-local index.
struct Renumber<T>(Vec<T>);

impl<T: Ord + Copy> Renumber<T> {
    fn new(set: BTreeSet<T>) -> Self {
        Renumber(set.into_iter().collect())
    }

    /// The image-local index of `id`, which the set must contain.
    fn local(&self, id: T) -> usize {
        self.0
            .binary_search(&id)
            .expect("every referenced id was collected")
    }
}

impl SiteImage {
    /// The image of `site` for `plan`: [`ImageBuilder::new`] then
    /// [`ImageBuilder::image`]. To build the images of many sites, keep one
    /// builder: it indexes the plan once.
    ///
    /// # Panics
    ///
    /// As [`ImageBuilder::new`] and [`ImageBuilder::image`].
    pub fn new(
        model: &Model,
        plan: &Plan,
        start_places: &[Option<PlaceId>],
        start_connections: &[Connection],
        site: SiteId,
        debug: &[Option<DebugLoc>],
    ) -> SiteImage {
        ImageBuilder::new(model, plan, start_places, start_connections).image(site, debug)
    }
}

/// Builds the [`SiteImage`]s of one plan, with the instances and start
/// connections of each site indexed once (building every site's image is
/// then linear in the size of the plan, not sites × instances).
pub struct ImageBuilder<'a> {
    model: &'a Model,
    plan: &'a Plan,
    start_places: &'a [Option<PlaceId>],
    start_connections: &'a [Connection],
    /// The universe instances of each site.
    locals: Vec<Vec<InstanceId>>,
    /// The start connections touching each site (indices, ascending).
    touching: Vec<Vec<usize>>,
}

impl<'a> ImageBuilder<'a> {
    /// Indexes `plan` for building images.
    ///
    /// `start_places[i]` is the place universe instance `i` is at when the
    /// reconfiguration starts (`None` if it does not exist yet; missing
    /// entries count as `None`); `start_connections` are the connections at
    /// the start, in universe ids.
    ///
    /// # Panics
    ///
    /// If the universe or `start_connections` refer to a site or instance the
    /// universe does not have: the inputs come from the compiler, which
    /// guarantees these invariants.
    pub fn new(
        model: &'a Model,
        plan: &'a Plan,
        start_places: &'a [Option<PlaceId>],
        start_connections: &'a [Connection],
    ) -> Self {
        let u = &plan.universe;
        let mut locals = vec![Vec::new(); u.sites.len()];
        for (i, inst) in u.instances.iter().enumerate() {
            locals[inst.site.index()].push(InstanceId::from_index(i));
        }
        let mut touching = vec![Vec::new(); u.sites.len()];
        for (n, c) in start_connections.iter().enumerate() {
            let [a, b] = crate::program::endpoint_sites(u, c);
            touching[a.index()].push(n);
            if b != a {
                touching[b.index()].push(n);
            }
        }
        ImageBuilder {
            model,
            plan,
            start_places,
            start_connections,
            locals,
            touching,
        }
    }

    /// The image of `site`. Only the start connections touching a local
    /// instance are kept; `debug[pc]` locates instruction `pc` of
    /// `plan.programs[site]` (missing entries count as `None`).
    ///
    /// # Panics
    ///
    /// If `site` is not a site of the universe, or the site's program refers
    /// to an id that the model or the universe does not have.
    pub fn image(&self, site: SiteId, debug: &[Option<DebugLoc>]) -> SiteImage {
        let (model, plan) = (self.model, self.plan);
        let start_places = self.start_places;
        let u = &plan.universe;
        let program: &[Instruction] = plan.programs.get(site.index()).map_or(&[], Vec::as_slice);

        let mut instances: BTreeSet<InstanceId> =
            self.locals[site.index()].iter().copied().collect();
        let connections: Vec<&Connection> = self.touching[site.index()]
            .iter()
            .map(|&n| &self.start_connections[n])
            .collect();
        for c in &connections {
            instances.extend([c.provider.instance, c.user.instance]);
        }
        let mut types = BTreeSet::new();
        for ins in program {
            match *ins {
                Instruction::Add(c, t) => {
                    instances.insert(c);
                    types.insert(t);
                }
                Instruction::Del(c) | Instruction::PushB(c, _) | Instruction::Wait(c, _, _) => {
                    instances.insert(c);
                }
                Instruction::Con(c) | Instruction::Dcon(c) => {
                    instances.extend([c.provider.instance, c.user.instance]);
                }
            }
        }
        let instances = Renumber::new(instances);
        let mut sites = BTreeSet::from([site]);
        for &c in &instances.0 {
            let inst = &u.instances[c.index()];
            sites.insert(inst.site);
            types.insert(inst.ty);
        }
        let sites = Renumber::new(sites);
        let types = Renumber::new(types);
        let interfaces = Renumber::new(
            types
                .0
                .iter()
                .flat_map(|&t| model.ty(t).ports.iter().map(|p| p.interface))
                .collect::<BTreeSet<InterfaceId>>(),
        );

        let inst = |c: InstanceId| InstanceId::from_index(instances.local(c));
        let endpoint = |e: Endpoint| Endpoint {
            instance: inst(e.instance),
            port: e.port,
        };
        let connection = |c: Connection| Connection {
            provider: endpoint(c.provider),
            user: endpoint(c.user),
        };
        let tables = Tables {
            local_site: SiteId::from_index(sites.local(site)),
            sites: sites
                .0
                .iter()
                .map(|&s| ImageSite {
                    name: u.sites[s.index()].name.clone(),
                    global: s,
                })
                .collect(),
            interfaces: interfaces
                .0
                .iter()
                .map(|&i| model.interfaces[i.index()].clone())
                .collect(),
            types: types
                .0
                .iter()
                .map(|&t| {
                    let mut ty = model.ty(t).clone();
                    for Port { interface, .. } in &mut ty.ports {
                        *interface = InterfaceId::from_index(interfaces.local(*interface));
                    }
                    ty
                })
                .collect(),
            instances: instances
                .0
                .iter()
                .map(|&c| {
                    let i = &u.instances[c.index()];
                    ImageInstance {
                        name: i.name.clone(),
                        ty: TypeId::from_index(types.local(i.ty)),
                        site: SiteId::from_index(sites.local(i.site)),
                        global: c,
                        start: if i.site == site {
                            start_places.get(c.index()).copied().flatten()
                        } else {
                            None
                        },
                    }
                })
                .collect(),
            start_connections: connections.iter().map(|&&c| connection(c)).collect(),
        };
        let code = program
            .iter()
            .map(|ins| match *ins {
                Instruction::Add(c, t) => {
                    Instruction::Add(inst(c), TypeId::from_index(types.local(t)))
                }
                Instruction::Del(c) => Instruction::Del(inst(c)),
                Instruction::Con(c) => Instruction::Con(connection(c)),
                Instruction::Dcon(c) => Instruction::Dcon(connection(c)),
                Instruction::PushB(c, b) => Instruction::PushB(inst(c), b),
                Instruction::Wait(c, b, k) => Instruction::Wait(inst(c), b, k),
            })
            .collect();
        SiteImage {
            tables,
            code,
            debug: debug_info(program.len(), debug),
        }
    }
}

/// The debug section for `len` instructions, file names shared in order of
/// first use.
fn debug_info(len: usize, debug: &[Option<DebugLoc>]) -> DebugInfo {
    let mut files: Vec<String> = Vec::new();
    let mut file_ids: HashMap<&str, u32> = HashMap::new();
    let spans = (0..len)
        .map(|pc| {
            let loc = debug.get(pc)?.as_ref()?;
            let file = *file_ids.entry(loc.file.as_str()).or_insert_with(|| {
                files.push(loc.file.clone());
                u32::try_from(files.len() - 1).expect("fewer than 2^32 source files")
            });
            Some(DebugSpan {
                file,
                line: loc.line,
                column: loc.column,
                origin: loc.origin.clone(),
            })
        })
        .collect();
    DebugInfo { files, spans }
}
