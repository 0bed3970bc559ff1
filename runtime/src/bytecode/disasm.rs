//! The disassembler: a stable, readable text of an image, for `balletc dump`
//! and snapshot tests. Everything is printed in table order; nothing depends
//! on hashing or addresses.

use std::fmt::Write;

use super::frame::FORMAT_VERSION;
use super::image::SiteImage;
use crate::model::{ComponentType, Connection, PortKind};

/// The text of an image: a header, the tables, then the numbered code with
/// each instruction's source location as a comment:
///
/// ```text
/// 0003  pushB(db, interrupt)  ; examples/cps.blt:31:5  goal update
/// ```
///
/// An image that fails [`SiteImage::validate`] prints its header and the
/// reason only (the tables cannot be trusted to name anything).
pub fn disassemble(image: &SiteImage) -> String {
    let mut out = String::new();
    let t = &image.tables;
    // `write!` into a `String` cannot fail.
    let _ = writeln!(out, "; ballet site image, format version {FORMAT_VERSION}");
    if let Err(e) = image.validate() {
        let _ = writeln!(out, "; invalid image: {e}");
        return out;
    }
    let _ = writeln!(
        out,
        "site {} ({} instructions)",
        image.site_name(),
        image.code.len()
    );

    let _ = writeln!(out, "\nsites");
    for (s, site) in t.sites.iter().enumerate() {
        let local = if s == t.local_site.index() {
            "  local"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  s{s}  {}  global {}{local}",
            site.name, site.global.0
        );
    }
    let _ = writeln!(out, "\ninterfaces");
    for (i, name) in t.interfaces.iter().enumerate() {
        let _ = writeln!(out, "  i{i}  {name}");
    }
    let _ = writeln!(out, "\ntypes");
    for (n, ty) in t.types.iter().enumerate() {
        write_type(&mut out, n, ty, &t.interfaces);
    }
    let _ = writeln!(out, "\ninstances");
    for (c, inst) in t.instances.iter().enumerate() {
        let ty = &t.types[inst.ty.index()];
        let _ = write!(
            out,
            "  c{c}  {}  t{} {}  s{} {}  global {}",
            inst.name,
            inst.ty.0,
            ty.name,
            inst.site.0,
            t.sites[inst.site.index()].name,
            inst.global.0
        );
        match inst.start {
            Some(p) => {
                let _ = writeln!(out, "  start p{} {}", p.0, ty.place_name(p));
            }
            None => out.push('\n'),
        }
    }
    let _ = writeln!(out, "\nstart connections");
    for c in &t.start_connections {
        let _ = writeln!(out, "  {}", connection(image, c));
    }

    let view = image.view();
    let _ = writeln!(out, "\ncode");
    for (pc, ins) in image.code.iter().enumerate() {
        let text = ins.display(&view.model, &view.plan.universe);
        match image.debug_loc(pc) {
            Some(loc) => {
                let _ = writeln!(
                    out,
                    "{pc:04}  {text:<32}  ; {}:{}:{}  {}",
                    loc.file, loc.line, loc.column, loc.origin
                );
            }
            None => {
                let _ = writeln!(out, "{pc:04}  {text}");
            }
        }
    }
    out
}

fn write_type(out: &mut String, n: usize, ty: &ComponentType, interfaces: &[String]) {
    let place = |p: crate::ids::PlaceId| format!("p{} {}", p.0, ty.place_name(p));
    let _ = writeln!(out, "  t{n}  {}", ty.name);
    let places: Vec<String> = (0..ty.places.len())
        .map(|p| place(crate::ids::PlaceId::from_index(p)))
        .collect();
    let _ = writeln!(out, "    places   {}", places.join(", "));
    let _ = writeln!(out, "    initial  {}", place(ty.initial));
    let _ = writeln!(out, "    running  {}", place(ty.running));
    for (x, tr) in ty.transitions.iter().enumerate() {
        let _ = write!(
            out,
            "    x{x}  {}: {} -> {}  cost {}  b{} {}",
            tr.name,
            place(tr.src),
            place(tr.dst),
            tr.cost,
            tr.behavior.0,
            ty.behavior(tr.behavior).name
        );
        match &tr.action {
            Some(action) => {
                let _ = writeln!(out, "  action {action:?}");
            }
            None => out.push('\n'),
        }
    }
    for (b, behavior) in ty.behaviors.iter().enumerate() {
        let xs: Vec<String> = behavior
            .transitions
            .iter()
            .map(|x| format!("x{}", x.0))
            .collect();
        let _ = writeln!(out, "    b{b}  {}: {}", behavior.name, xs.join(" "));
    }
    for (q, port) in ty.ports.iter().enumerate() {
        let kind = match port.kind {
            PortKind::Use => "use",
            PortKind::Provide => "provide",
        };
        let group: Vec<String> = port.group.iter().map(|&p| place(p)).collect();
        let _ = writeln!(
            out,
            "    q{q}  {kind} {}: i{} {}  group {}",
            port.name,
            port.interface.0,
            interfaces[port.interface.index()],
            group.join(", ")
        );
    }
}

/// `provider.port -> user.port`.
fn connection(image: &SiteImage, c: &Connection) -> String {
    let t = &image.tables;
    let end = |e: crate::model::Endpoint| {
        let inst = &t.instances[e.instance.index()];
        let ty = &t.types[inst.ty.index()];
        format!("{}.{}", inst.name, ty.port(e.port).name)
    };
    format!("{} -> {}", end(c.provider), end(c.user))
}
