//! What the operator's commands (`balletc status`, `balletc apply`) need
//! from a build directory: every site's address and the operator's
//! credentials.

use std::path::Path;

use ballet_runtime::inventory::parse_inventory;
use ballet_runtime::net::{ClusterKeys, OperatorCredentials};

/// The sites of `dir/inventory.toml` (name, address), in site order, and
/// the operator key of `key` (default `dir/cluster.key`).
pub fn operator_access(
    dir: &Path,
    key: Option<&Path>,
) -> Result<(Vec<(String, String)>, OperatorCredentials), String> {
    let inventory_path = dir.join("inventory.toml");
    let inventory = std::fs::read_to_string(&inventory_path)
        .map_err(|e| format!("cannot read `{}`: {e}", inventory_path.display()))
        .and_then(|t| {
            parse_inventory(&t).map_err(|e| format!("`{}`: {e}", inventory_path.display()))
        })?;
    let key = key.map_or_else(|| dir.join("cluster.key"), Path::to_path_buf);
    let keys = ClusterKeys::load(&key).map_err(|e| e.to_string())?;
    let operator = keys.operator().ok_or_else(|| {
        format!(
            "`{}` has no operator key (an older key file): generate a new one with `balletc keygen --force` and restart the agents",
            key.display()
        )
    })?;
    Ok((inventory, operator))
}
