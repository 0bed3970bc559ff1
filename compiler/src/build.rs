//! Writing a plan's build output: one bytecode file per site
//! (`<site>.bltc`, see `ballet_runtime::bytecode`) and `inventory.toml`.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::atomic::write_atomically;

use ballet_runtime::bytecode::{encode, DebugLoc, ImageBuilder};
use ballet_runtime::inventory::inventory_toml;
use ballet_runtime::program::Plan;
use ballet_runtime::{Connection, Model, PlaceId, SiteId};

/// The host `inventory.toml` gives every site.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Writes `<dir>/<site>.bltc` for every site of `plan.universe` and
/// `<dir>/inventory.toml` (sites on [`DEFAULT_HOST`], consecutive ports from
/// `base_port`), and returns the paths written, sites first in site order.
///
/// Each file is written atomically: to a temporary file in `dir`, flushed to
/// disk, then renamed over the target, so a reader never sees half a file.
/// `debug[s]` locates the instructions of site `s` (missing entries mean no
/// location). Fails with `InvalidInput` if a site name cannot be a file name
/// or the ports do not fit.
pub fn write_build(
    dir: &Path,
    model: &Model,
    plan: &Plan,
    start_places: &[Option<PlaceId>],
    start_connections: &[Connection],
    debug: &[Vec<Option<DebugLoc>>],
    base_port: u16,
) -> io::Result<Vec<PathBuf>> {
    let sites = &plan.universe.sites;
    let inventory = inventory_toml(sites, DEFAULT_HOST, base_port)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    for site in sites {
        check_file_name(&site.name)?;
    }
    let builder = ImageBuilder::new(model, plan, start_places, start_connections);
    let mut written = Vec::with_capacity(sites.len() + 1);
    for (s, site) in sites.iter().enumerate() {
        let image = builder.image(
            SiteId::from_index(s),
            debug.get(s).map_or(&[], Vec::as_slice),
        );
        let path = dir.join(format!("{}.bltc", site.name));
        write_atomically(&path, &encode(&image))?;
        written.push(path);
    }
    let path = dir.join("inventory.toml");
    write_atomically(&path, inventory.as_bytes())?;
    written.push(path);
    sync_dir(dir)?;
    Ok(written)
}

/// Site names come from identifiers, but a file name is checked anyway: a
/// name must never write outside `dir`.
fn check_file_name(name: &str) -> io::Result<()> {
    let bad = name.is_empty() || name.starts_with('.') || name.contains(['/', '\\', '\0', ':']);
    if bad {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("site name `{name}` cannot be used as a file name"),
        ));
    }
    Ok(())
}

/// Makes the renames durable (directories can be synced on Unix only).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Where each instruction of each site's program comes from: a `pushB` of
/// a behavior the goal requires points at that goal line; every other
/// instruction (synchronization, propagated behaviors, assembly changes)
/// points at the goal's declaration.
pub fn debug_locations(
    program: &crate::load::Program,
    goal: &ballet_runtime::Goal,
    planned: &crate::plan::Planned,
) -> Vec<Vec<Option<DebugLoc>>> {
    use ballet_grammar::ast::Item;
    use ballet_runtime::program::Instruction;
    let decl = program.files.iter().find_map(|f| {
        f.ast.items.iter().find_map(|item| match item {
            Item::Goal(g) if g.name.text == goal.name => Some((f.id, g)),
            _ => None,
        })
    });
    let Some((file, decl)) = decl else {
        return Vec::new();
    };
    let loc = |span: ballet_grammar::span::Span, origin: String| {
        let (line, column) = program.sources.line_column(file, span.start as usize);
        DebugLoc {
            file: program.sources.name(file).to_string(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            origin,
        }
    };
    let u = &planned.plan.universe;
    planned
        .plan
        .programs
        .iter()
        .map(|program| {
            program
                .iter()
                .map(|ins| {
                    let required = match *ins {
                        Instruction::PushB(c, b) => goal
                            .behaviors
                            .iter()
                            .find(|g| g.instance == c && g.behavior == b)
                            .and_then(|g| decl.items.get(g.origin as usize)),
                        _ => None,
                    };
                    Some(match required {
                        Some(item) => loc(item.span(), format!("goal `{}`", goal.name)),
                        None => loc(decl.span, format!("goal `{}`: {}", goal.name, kind(ins, u))),
                    })
                })
                .collect()
        })
        .collect()
}

/// What the planner inserted the instruction for.
fn kind(
    ins: &ballet_runtime::program::Instruction,
    _: &ballet_runtime::program::Universe,
) -> &'static str {
    use ballet_runtime::program::Instruction;
    match ins {
        Instruction::PushB(..) => "behavior planned",
        Instruction::Wait(..) => "synchronization",
        Instruction::Add(..) | Instruction::Del(..) => "assembly change",
        Instruction::Con(..) | Instruction::Dcon(..) => "connection change",
    }
}
