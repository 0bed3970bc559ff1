//! `inventory.toml`: the network address of every site of a plan.
//!
//! ```toml
//! [sites.master]
//! address = "127.0.0.1:7400"
//! ```
//!
//! `balletc build` writes one with consecutive ports; users edit it to deploy
//! on real machines, so it is parsed as TOML (comments, any key order and
//! quoting), and each address is checked to be `HOST:PORT`.

use std::fmt::Write;

use crate::model::Site;

/// The inventory of `sites`: site `i` at `host:(base_port + i)`, in site
/// order. `Err` if the ports would go past 65535.
pub fn inventory_toml(sites: &[Site], host: &str, base_port: u16) -> Result<String, String> {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let mut out = String::from("# The address of every site of the plan (HOST:PORT).\n");
    for (i, site) in sites.iter().enumerate() {
        let port = u16::try_from(i)
            .ok()
            .and_then(|i| base_port.checked_add(i))
            .ok_or_else(|| {
                format!(
                    "{} sites do not fit in consecutive ports from {base_port}",
                    sites.len()
                )
            })?;
        // `write!` into a `String` cannot fail.
        let _ = write!(
            out,
            "\n[sites.{}]\naddress = {}\n",
            key(&site.name),
            quoted(&format!("{host}:{port}"))
        );
    }
    Ok(out)
}

/// A TOML key: bare if it can be, else a basic string.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_string()
    } else {
        quoted(name)
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `(site, address)` pairs of an inventory, in file order. Every site
/// table must hold exactly one key, `address`, a `HOST:PORT` string.
pub fn parse_inventory(text: &str) -> Result<Vec<(String, String)>, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("not valid TOML: {}", e.message()))?;
    let mut out = Vec::new();
    for (k, v) in &table {
        if k != "sites" {
            return Err(format!(
                "unknown key `{k}` (expected `[sites.NAME]` tables)"
            ));
        }
        let sites = v
            .as_table()
            .ok_or("`sites` must be a table of `[sites.NAME]` tables")?;
        for (name, entry) in sites {
            let entry = entry
                .as_table()
                .ok_or_else(|| format!("`sites.{name}` must be a table"))?;
            if let Some(other) = entry.keys().find(|k| *k != "address") {
                return Err(format!("unknown key `{other}` in `[sites.{name}]`"));
            }
            let address = entry
                .get("address")
                .ok_or_else(|| format!("`[sites.{name}]` has no `address`"))?
                .as_str()
                .ok_or_else(|| format!("the address of `{name}` must be a string"))?;
            check_address(address).map_err(|why| format!("site `{name}`: {why}"))?;
            out.push((name.clone(), address.to_string()));
        }
    }
    Ok(out)
}

/// Checks `HOST:PORT` (`[v6]:PORT` for IPv6).
fn check_address(address: &str) -> Result<(), String> {
    let bad = || format!("`{address}` is not HOST:PORT");
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    let v6 = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
    if host.is_empty() || (host.contains(':') && !v6) {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(names: &[&str]) -> Vec<Site> {
        names
            .iter()
            .map(|n| Site {
                name: n.to_string(),
            })
            .collect()
    }

    #[test]
    fn writes_consecutive_ports_and_parses_back() {
        let text = inventory_toml(
            &sites(&["master", "worker_0", "odd name"]),
            "127.0.0.1",
            7400,
        )
        .expect("fits");
        assert!(text.contains("[sites.master]\naddress = \"127.0.0.1:7400\"\n"));
        assert_eq!(
            parse_inventory(&text),
            Ok(vec![
                ("master".into(), "127.0.0.1:7400".into()),
                ("worker_0".into(), "127.0.0.1:7401".into()),
                ("odd name".into(), "127.0.0.1:7402".into()),
            ])
        );
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        let text = inventory_toml(&sites(&["a"]), "::1", 9000).expect("fits");
        assert_eq!(
            parse_inventory(&text),
            Ok(vec![("a".into(), "[::1]:9000".into())])
        );
    }

    #[test]
    fn ports_past_65535_are_refused() {
        assert!(inventory_toml(&sites(&["a", "b"]), "h", 65535).is_err());
        assert!(inventory_toml(&sites(&["a"]), "h", 65535).is_ok());
    }

    #[test]
    fn bad_inventories_are_refused() {
        for text in [
            "[sites.a]\naddress = 3",
            "[sites.a]\naddress = \"nohost\"",
            "[sites.a]\naddress = \"h:99999\"",
            "[sites.a]\nadress = \"h:1\"",
            "[sites.a]",
            "[other]\nx = 1",
            "sites = 1",
            "[sites",
        ] {
            assert!(parse_inventory(text).is_err(), "{text:?} accepted");
        }
    }
}
