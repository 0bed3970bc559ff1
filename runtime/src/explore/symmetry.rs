//! Symmetry reduction: interchangeable sites (CPS's sensor sites,
//! OpenStack's worker sites for n > 1) make states that differ only by a
//! permutation of those sites equivalent; the exploration visits one per
//! equivalence class.
//!
//! **Detection.** Two sites are interchangeable when swapping them — their
//! instances matched by position — is an automorphism of the whole
//! problem: same types and *colours* (the caller's per-instance data that
//! the properties read, e.g. goal lines) position by position, the start
//! states and connections mapped onto themselves, and every program mapped
//! onto the program of the image site. A class is a site and every site
//! whose swap with it is an automorphism; transpositions with one element
//! generate every permutation of the class, so every permutation of a class
//! is an automorphism.
//!
//! **Canonical form.** Each class's sites are ordered by a hash of their
//! local state (instance states, program counter, pushes, connections and
//! reached `dcon`s in a site-relative form), and the key of the state
//! permuted accordingly is used. The key always encodes a state equivalent
//! to the visited one under an automorphism, so equal keys mean equivalent
//! states (sound even when hash ties or collisions make two equivalent
//! states get different keys: that only costs reduction). Properties
//! checked — deadlock, final states against colour-respecting goals, port
//! safety, acyclicity — are invariant under automorphisms.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::explore::Key;
use crate::ids::{InstanceId, SiteId};
use crate::model::{Connection, Endpoint};
use crate::program::{Instruction, Plan};
use crate::semantics::System;

/// Interchangeable sites of one plan and start state.
#[derive(Clone, Debug)]
pub struct Symmetry {
    /// Classes of interchangeable sites (each of at least two), by index.
    classes: Vec<Vec<SiteId>>,
    /// Each site's instances, in universe order.
    local: Vec<Vec<InstanceId>>,
    /// Per instance, its site and position there.
    place: Vec<(SiteId, usize)>,
}

impl Symmetry {
    /// The interchangeable sites of `plan` from `start`; `colours[i]` must
    /// be equal for instances a property may tell apart (`None` when no two
    /// sites are interchangeable).
    pub fn detect(plan: &Plan, start: &System, colours: &[u64]) -> Option<Symmetry> {
        let sites = plan.programs.len();
        let mut local = vec![Vec::new(); sites];
        let mut place = Vec::with_capacity(plan.universe.instances.len());
        for (i, inst) in plan.universe.instances.iter().enumerate() {
            let s = inst.site.index();
            place.push((inst.site, local[s].len()));
            local[s].push(InstanceId::from_index(i));
        }
        let mut sym = Symmetry {
            classes: Vec::new(),
            local,
            place,
        };
        let mut left: Vec<SiteId> = (0..sites).map(SiteId::from_index).collect();
        while let Some(first) = left.first().copied() {
            let (class, rest): (Vec<SiteId>, Vec<SiteId>) = left.iter().partition(|&&s| {
                s == first || sym.swap_is_automorphism(plan, start, colours, first, s)
            });
            if class.len() > 1 {
                sym.classes.push(class);
            }
            left = rest;
        }
        (!sym.classes.is_empty()).then_some(sym)
    }

    /// The classes of interchangeable sites.
    pub fn classes(&self) -> &[Vec<SiteId>] {
        &self.classes
    }

    /// Whether swapping sites `a` and `b` maps the problem onto itself.
    fn swap_is_automorphism(
        &self,
        plan: &Plan,
        start: &System,
        colours: &[u64],
        a: SiteId,
        b: SiteId,
    ) -> bool {
        let (la, lb) = (&self.local[a.index()], &self.local[b.index()]);
        if la.len() != lb.len() {
            return false;
        }
        let u = &plan.universe;
        let colour = |i: InstanceId| colours.get(i.index()).copied().unwrap_or(0);
        for (&x, &y) in la.iter().zip(lb) {
            if u.instances[x.index()].ty != u.instances[y.index()].ty
                || colour(x) != colour(y)
                || start.states[x.index()] != start.states[y.index()]
                || start.pushes[x.index()] != start.pushes[y.index()]
            {
                return false;
            }
        }
        let inst = |i: InstanceId| {
            let (s, k) = self.place[i.index()];
            if s == a {
                lb[k]
            } else if s == b {
                la[k]
            } else {
                i
            }
        };
        let site = |s: SiteId| {
            if s == a {
                b
            } else if s == b {
                a
            } else {
                s
            }
        };
        let mut mapped: Vec<Connection> = start
            .connections
            .iter()
            .map(|c| map_connection(c, &inst))
            .collect();
        mapped.sort();
        if !mapped.iter().eq(start.connections.iter()) {
            return false;
        }
        (0..plan.programs.len()).all(|t| {
            let t = SiteId::from_index(t);
            let image = &plan.programs[site(t).index()];
            let program = &plan.programs[t.index()];
            image.len() == program.len()
                && program
                    .iter()
                    .zip(image)
                    .all(|(ins, img)| map_instruction(ins, &inst) == *img)
        })
    }

    /// The key of a state equivalent to `s` under an automorphism: every
    /// class's sites sorted by their local state.
    pub fn canonical(&self, s: &System) -> Key {
        let n = s.states.len();
        let mut inst_perm: Vec<InstanceId> = (0..n).map(InstanceId::from_index).collect();
        let mut site_perm: Vec<SiteId> = (0..s.pc.len()).map(SiteId::from_index).collect();
        for class in &self.classes {
            let mut order: Vec<(u64, SiteId)> = class
                .iter()
                .map(|&site| (self.block_hash(s, site), site))
                .collect();
            order.sort();
            for (slot, &(_, from)) in class.iter().zip(&order) {
                site_perm[from.index()] = *slot;
                for (k, &i) in self.local[from.index()].iter().enumerate() {
                    inst_perm[i.index()] = self.local[slot.index()][k];
                }
            }
        }
        let inst = |i: InstanceId| inst_perm[i.index()];
        let mut states = vec![None; n];
        let mut pushes = vec![Vec::new(); n];
        for (i, to) in inst_perm.iter().enumerate() {
            states[to.index()] = s.states[i].clone();
            pushes[to.index()] = s.pushes[i].clone();
        }
        let mut pc = vec![0; s.pc.len()];
        for (site, &p) in s.pc.iter().enumerate() {
            pc[site_perm[site].index()] = p;
        }
        let mut connections: Vec<Connection> = s
            .connections
            .iter()
            .map(|c| map_connection(c, &inst))
            .collect();
        connections.sort();
        let mut reached: Vec<(SiteId, Connection)> = s
            .dcon_reached
            .iter()
            .map(|(site, c)| (site_perm[site.index()], map_connection(c, &inst)))
            .collect();
        reached.sort();
        (states, connections, pc, pushes, reached)
    }

    /// A hash of `site`'s local state, with its own instances by position
    /// and other instances by index.
    fn block_hash(&self, s: &System, site: SiteId) -> u64 {
        let mut h = DefaultHasher::new();
        s.pc[site.index()].hash(&mut h);
        let relative = |i: InstanceId| {
            let (at, k) = self.place[i.index()];
            if at == site {
                (0u8, k)
            } else {
                (1u8, i.index())
            }
        };
        for &i in &self.local[site.index()] {
            s.states[i.index()].hash(&mut h);
            s.pushes[i.index()].hash(&mut h);
        }
        let mut touching: Vec<_> = s
            .connections
            .iter()
            .filter(|c| {
                self.place[c.provider.instance.index()].0 == site
                    || self.place[c.user.instance.index()].0 == site
            })
            .map(|c| {
                (
                    relative(c.provider.instance),
                    c.provider.port,
                    relative(c.user.instance),
                    c.user.port,
                )
            })
            .collect();
        touching.sort();
        touching.hash(&mut h);
        let mut reached: Vec<_> = s
            .dcon_reached
            .iter()
            .filter(|(at, _)| *at == site)
            .map(|(_, c)| {
                (
                    relative(c.provider.instance),
                    c.provider.port,
                    relative(c.user.instance),
                    c.user.port,
                )
            })
            .collect();
        reached.sort();
        reached.hash(&mut h);
        h.finish()
    }
}

fn map_connection(c: &Connection, inst: &impl Fn(InstanceId) -> InstanceId) -> Connection {
    let end = |e: Endpoint| Endpoint {
        instance: inst(e.instance),
        port: e.port,
    };
    Connection {
        provider: end(c.provider),
        user: end(c.user),
    }
}

fn map_instruction(ins: &Instruction, inst: &impl Fn(InstanceId) -> InstanceId) -> Instruction {
    match *ins {
        Instruction::Add(c, t) => Instruction::Add(inst(c), t),
        Instruction::Del(c) => Instruction::Del(inst(c)),
        Instruction::Con(c) => Instruction::Con(map_connection(&c, inst)),
        Instruction::Dcon(c) => Instruction::Dcon(map_connection(&c, inst)),
        Instruction::PushB(c, b) => Instruction::PushB(inst(c), b),
        Instruction::Wait(c, b, k) => Instruction::Wait(inst(c), b, k),
    }
}
