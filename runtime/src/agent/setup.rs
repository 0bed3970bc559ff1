//! What `balletc agent OUT_DIR --site S --key KEY` loads before it runs, and
//! where it keeps its state.
//!
//! ```text
//! OUT_DIR/<site>.bltc            the site's bytecode (balletc build)
//! OUT_DIR/inventory.toml         every site's address, in site order
//! KEY                            the cluster's key file (balletc keygen)
//! OUT_DIR/state/<site>/agent.ckpt  the agent's checkpoint (checkpoint.rs)
//! OUT_DIR/state/<site>/net.state   the transport's delivery state
//! OUT_DIR/state/<site>/logs/       one log file per transition with an action
//! ```
//!
//! A state directory with a checkpoint means a restart: the agent resumes
//! from it, and its transport's outgoing numbering restarts in a new epoch
//! (`net::renumber_state`), since a resumed agent states its facts again
//! rather than replaying the same payloads.

use std::path::{Path, PathBuf};

use crate::agent::checkpoint::AgentCheckpoint;
use crate::agent::driver::Agent;
use crate::agent::neighbors::neighbors;
use crate::bytecode::{decode, SiteImage};
use crate::ids::SiteId;
use crate::inventory::parse_inventory;
use crate::net::{renumber_state, ClusterKeys, Credentials, NetConfig};
use crate::vm::SiteVm;

/// The checkpoint file inside a site's state directory.
pub const AGENT_CHECKPOINT_FILE: &str = "agent.ckpt";

/// Everything one agent process needs.
#[derive(Debug)]
pub struct AgentSetup {
    /// The site's global id (its index in the inventory).
    pub site: SiteId,
    /// The site's name.
    pub name: String,
    /// Every other site with its address.
    pub peers: Vec<(SiteId, String)>,
    /// The address to listen on.
    pub listen: String,
    /// The site's credentials.
    pub credentials: Credentials,
    /// `OUT_DIR/state/<site>/`.
    pub state_dir: PathBuf,
    /// The agent, fresh or restored from its checkpoint.
    pub agent: Agent,
    /// Whether it was restored.
    pub resumed: bool,
}

impl AgentSetup {
    /// Loads site `name`'s bytecode, the inventory, the credentials from
    /// `key`, and the checkpoint if there is one. `listen` replaces the
    /// site's inventory address for listening. Every error says which file
    /// is wrong and how.
    pub fn load(
        out_dir: &Path,
        name: &str,
        key: &Path,
        listen: Option<String>,
    ) -> Result<AgentSetup, String> {
        let inventory_path = out_dir.join("inventory.toml");
        let text = std::fs::read_to_string(&inventory_path)
            .map_err(|e| format!("cannot read `{}`: {e}", inventory_path.display()))?;
        let inventory =
            parse_inventory(&text).map_err(|e| format!("`{}`: {e}", inventory_path.display()))?;
        let index = inventory
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| {
                let known: Vec<&str> = inventory.iter().map(|(n, _)| n.as_str()).collect();
                format!(
                    "no site `{name}` in `{}` (its sites: {})",
                    inventory_path.display(),
                    known.join(", ")
                )
            })?;
        let site = SiteId::from_index(index);
        let image_path = out_dir.join(format!("{name}.bltc"));
        let bytes = std::fs::read(&image_path)
            .map_err(|e| format!("cannot read `{}`: {e}", image_path.display()))?;
        let image =
            decode(&bytes).map_err(|e| format!("cannot load `{}`: {e}", image_path.display()))?;
        if image.site_name() != name
            || image.tables.sites[image.tables.local_site.index()].global != site
        {
            return Err(format!(
                "`{}` is site `{}`'s program, or the inventory lists the sites in another order than the build",
                image_path.display(),
                image.site_name()
            ));
        }
        let keys = ClusterKeys::load(key).map_err(|e| e.to_string())?;
        let key_names: Vec<&str> = keys.names().collect();
        let inventory_names: Vec<&str> = inventory.iter().map(|(n, _)| n.as_str()).collect();
        if key_names != inventory_names {
            return Err(format!(
                "`{}` does not hold the keys of the sites of `{}` (run `balletc keygen` for this build)",
                key.display(),
                inventory_path.display()
            ));
        }
        let credentials = keys
            .credentials(site)
            .ok_or_else(|| format!("`{}` has no key for site `{name}`", key.display()))?;
        let state_dir = out_dir.join("state").join(name);
        let checkpoint = AgentCheckpoint::read(&state_dir.join(AGENT_CHECKPOINT_FILE))?;
        let resumed = checkpoint.is_some();
        let agent = match checkpoint {
            Some(c) => {
                renumber_state(&state_dir).map_err(|e| {
                    format!(
                        "`{}`: {e}",
                        state_dir.join(crate::net::STATE_FILE).display()
                    )
                })?;
                Agent::restore(image, c)?
            }
            None => Agent::new(SiteVm::new(image)),
        };
        let listen = listen.unwrap_or_else(|| inventory[index].1.clone());
        let peers = inventory
            .into_iter()
            .enumerate()
            .filter(|(j, _)| *j != index)
            .map(|(j, (_, address))| (SiteId::from_index(j), address))
            .collect();
        Ok(AgentSetup {
            site,
            name: name.to_string(),
            peers,
            listen,
            credentials,
            state_dir,
            agent,
            resumed,
        })
    }

    /// Keeps as peers only the site's neighbours in the build's plan
    /// (`neighbors.rs`: the sites whose images refer to this one's
    /// instances, and those its image refers to), read from every site's
    /// bytecode in `out_dir`: an agent that runs the build's program alone
    /// (`--once`) never talks to the others, so it neither dials them nor
    /// waits for their `Done`. (An agent serving `balletc apply` keeps every
    /// site: the next plan may link it to any.)
    pub fn link_neighbors_only(&mut self, out_dir: &Path) -> Result<(), String> {
        let mut images = Vec::new();
        let inventory = out_dir.join("inventory.toml");
        let text = std::fs::read_to_string(&inventory)
            .map_err(|e| format!("cannot read `{}`: {e}", inventory.display()))?;
        let sites =
            parse_inventory(&text).map_err(|e| format!("`{}`: {e}", inventory.display()))?;
        for (name, _) in &sites {
            let path = out_dir.join(format!("{name}.bltc"));
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            images.push(
                decode(&bytes).map_err(|e| format!("cannot load `{}`: {e}", path.display()))?,
            );
        }
        let refs: Vec<&SiteImage> = images.iter().collect();
        let mine = neighbors(&refs)
            .into_iter()
            .nth(self.site.index())
            .unwrap_or_default();
        self.peers.retain(|(s, _)| mine.contains(s));
        Ok(())
    }

    /// The agent's checkpoint file.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.state_dir.join(AGENT_CHECKPOINT_FILE)
    }

    /// The transport's configuration: this site's address, peers and
    /// credentials, frames up to 1 MiB, the delivery state in the state
    /// directory.
    pub fn net_config(&self) -> NetConfig {
        NetConfig {
            site: self.site,
            peers: self.peers.clone(),
            listen: self.listen.clone(),
            credentials: self.credentials.clone(),
            max_frame: 1 << 20,
            state_dir: Some(self.state_dir.clone()),
        }
    }
}
