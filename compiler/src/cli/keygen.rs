//! `balletc keygen -o out/cluster.key [--sites out/inventory.toml]`: the
//! cluster's credentials, one X25519 key pair per site of the inventory, in
//! inventory order (see `ballet_runtime::net::ClusterKeys` for the format
//! and the threat model). The file is written atomically with mode 0600.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ballet_runtime::atomic::write_private;
use ballet_runtime::inventory::parse_inventory;
use ballet_runtime::net::ClusterKeys;
use clap::Args;

/// Arguments of `balletc keygen`.
#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// The key file to write.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    /// The inventory that names the sites (default: `inventory.toml` beside
    /// the key file, as `balletc build` writes it).
    #[arg(long, value_name = "INVENTORY")]
    sites: Option<PathBuf>,
    /// Replace an existing key file (the old keys stop working).
    #[arg(long)]
    force: bool,
}

/// Runs `balletc keygen`: exit code 0, or 1 with an error on stderr.
pub fn run(args: KeygenArgs) -> ExitCode {
    match keygen(&args) {
        Ok(n) => {
            println!(
                "wrote the keys of {n} site{} to `{}` (keep it secret)",
                if n == 1 { "" } else { "s" },
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            let report = miette::miette!(code = "balletc::keygen", "{message}");
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}

/// Writes the key file; returns the number of sites.
fn keygen(args: &KeygenArgs) -> Result<usize, String> {
    let inventory = match &args.sites {
        Some(path) => path.clone(),
        None => args
            .out
            .parent()
            .unwrap_or(Path::new("."))
            .join("inventory.toml"),
    };
    let shown = inventory.display();
    let text = std::fs::read_to_string(&inventory)
        .map_err(|e| format!("cannot read the inventory `{shown}`: {e} (use --sites)"))?;
    let names: Vec<String> = parse_inventory(&text)
        .map_err(|e| format!("`{shown}`: {e}"))?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    if names.is_empty() {
        return Err(format!("`{shown}` names no site"));
    }
    if args.out.exists() && !args.force {
        return Err(format!(
            "`{}` exists; pass --force to replace it (the old keys stop working)",
            args.out.display()
        ));
    }
    let keys = ClusterKeys::generate(&names).map_err(|e| e.to_string())?;
    write_private(&args.out, keys.to_toml().as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", args.out.display()))?;
    Ok(names.len())
}
