//! Where an agent keeps each reconfiguration it runs (a *generation*).
//!
//! ```text
//! OUT_DIR/state/<site>/                 generation 0: the build's program
//!                                       (agent.ckpt, net.state, logs/)
//! OUT_DIR/state/<site>/gen-<k>/         generation k ≥ 1, from `balletc apply`:
//!     program.bltc                      the site's image, built by the agent
//!     agent.ckpt, net.state, logs/      as for generation 0
//! OUT_DIR/state/<site>/generation       k, once generation k was committed
//! ```
//!
//! Each generation has a fresh VM and a fresh transport (a new epoch), so
//! nothing of one reconfiguration is taken for another's.

use std::path::{Path, PathBuf};

use ballet_runtime::agent::setup::AGENT_CHECKPOINT_FILE;
use ballet_runtime::agent::{Agent, AgentCheckpoint};
use ballet_runtime::bytecode::{decode, encode, SiteImage};
use ballet_runtime::vm::SiteVm;

/// The file naming the current generation.
const GENERATION_FILE: &str = "generation";
/// A generation's image.
const PROGRAM_FILE: &str = "program.bltc";

/// The directory of generation `k` under a site's state directory `base`.
pub fn dir(base: &Path, k: u64) -> PathBuf {
    if k == 0 {
        base.to_path_buf()
    } else {
        base.join(format!("gen-{k}"))
    }
}

/// The agent's checkpoint file of generation `k`.
pub fn checkpoint_path(base: &Path, k: u64) -> PathBuf {
    dir(base, k).join(AGENT_CHECKPOINT_FILE)
}

/// The current generation (0 if none was committed).
pub fn current(base: &Path) -> Result<u64, String> {
    let path = base.join(GENERATION_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("`{}` does not hold a generation number", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
    }
}

/// Commits generation `k` with `image`: its program file, then the
/// generation file (each atomically), so a restart finds both or neither.
pub fn commit(base: &Path, k: u64, image: &SiteImage) -> Result<(), String> {
    let dir = dir(base, k);
    let write = |path: PathBuf, bytes: &[u8]| {
        std::fs::create_dir_all(&dir)
            .and_then(|()| crate::atomic::write_atomically(&path, bytes))
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
    };
    write(dir.join(PROGRAM_FILE), &encode(image))?;
    write(base.join(GENERATION_FILE), format!("{k}\n").as_bytes())
}

/// Generation `k ≥ 1` as a restarted agent finds it: its image, and its
/// checkpoint if it has one. `Err` says which file is wrong.
pub fn restore(base: &Path, k: u64) -> Result<(Agent, bool), String> {
    let path = dir(base, k).join(PROGRAM_FILE);
    let bytes =
        std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let image = decode(&bytes).map_err(|e| format!("cannot load `{}`: {e}", path.display()))?;
    match AgentCheckpoint::read(&checkpoint_path(base, k))? {
        Some(c) => {
            ballet_runtime::net::renumber_state(&dir(base, k))
                .map_err(|e| format!("`{}`: {e}", dir(base, k).display()))?;
            Ok((Agent::restore(image, c)?, true))
        }
        None => Ok((Agent::new(SiteVm::new(image)), false)),
    }
}

/// Clears generation `k`'s directory before its transport starts (what an
/// abandoned apply left there is of no use).
pub fn clear(base: &Path, k: u64) -> Result<(), String> {
    let dir = dir(base, k);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot clear `{}`: {e}", dir.display())),
    }
}
