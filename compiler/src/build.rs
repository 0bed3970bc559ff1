//! Writing a plan's build output: one bytecode file per site
//! (`<site>.bltc`, see `ballet_runtime::bytecode`) and `inventory.toml`.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Makes the renames durable (directories can be synced on Unix only).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
