//! The cluster's credentials: one X25519 static key pair per site, written by
//! `balletc keygen` into one TOML file, in inventory order.
//!
//! ```toml
//! version = 1
//! [[sites]]
//! name = "master"
//! public = "…64 hex digits…"
//! private = "…64 hex digits…"
//! ```
//!
//! A site's [`Credentials`] are its own private key and every site's public
//! key (the roster): the Noise handshake proves that the other end holds the
//! private key of a roster entry, which names its site.
//!
//! Version 2 files add an `[operator]` key pair (same two fields), the
//! identity of `balletc status`: an agent answers a caller holding it with
//! its status and nothing else (see `status.rs`). Version 1 files (no
//! operator) still load; their agents simply refuse every status request.
//!
//! **Threat model.** The file holds every site's private key, so it must be
//! kept like a password (keygen writes it with mode 0600). Whoever steals it
//! can impersonate any site to any other and inject or read traffic of
//! connections made from then on; recorded past traffic stays secret (every
//! connection uses fresh ephemeral keys, so it has forward secrecy). Without
//! the file, an attacker on the network can neither read, alter, replay nor
//! inject messages, nor pass as a site: a connection without a roster key is
//! refused during the handshake, before any message is read. Regenerating
//! the file (and restarting the agents) revokes a stolen one. Traffic
//! analysis (who talks to whom, sizes, timing) is not hidden.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::noise::{generate_keypair, KEY_LEN};
use super::NetError;
use crate::SiteId;

/// The version of the key file format written (2: with an operator key).
const FILE_VERSION: u32 = 2;

/// The oldest version read (1: sites only).
const OLDEST_VERSION: u32 = 1;

/// Every site's key pair, in inventory order (site `i` is `SiteId(i)`), and
/// the operator's.
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterKeys {
    sites: Vec<SiteKeys>,
    operator: Option<KeyPair>,
}

/// A public key and its private key.
#[derive(Clone, PartialEq, Eq)]
struct KeyPair {
    public: [u8; KEY_LEN],
    private: [u8; KEY_LEN],
}

/// One site's name and key pair.
#[derive(Clone, PartialEq, Eq)]
struct SiteKeys {
    name: String,
    public: [u8; KEY_LEN],
    private: [u8; KEY_LEN],
}

/// The on-disk form.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    sites: Vec<FileSite>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operator: Option<FileKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKey {
    public: String,
    private: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSite {
    name: String,
    public: String,
    private: String,
}

impl ClusterKeys {
    /// Fresh key pairs (from the operating system's random generator) for
    /// the sites `names`, in that order, and for the operator.
    pub fn generate(names: &[String]) -> Result<Self, NetError> {
        let mut sites = Vec::with_capacity(names.len());
        for name in names {
            let (public, private) = generate_keypair()?;
            sites.push(SiteKeys {
                name: name.clone(),
                public,
                private,
            });
        }
        let (public, private) = generate_keypair()?;
        Ok(ClusterKeys {
            sites,
            operator: Some(KeyPair { public, private }),
        })
    }

    /// The file text.
    pub fn to_toml(&self) -> String {
        let file = File {
            version: FILE_VERSION,
            sites: self
                .sites
                .iter()
                .map(|s| FileSite {
                    name: s.name.clone(),
                    public: hex(&s.public),
                    private: hex(&s.private),
                })
                .collect(),
            operator: self.operator.as_ref().map(|k| FileKey {
                public: hex(&k.public),
                private: hex(&k.private),
            }),
        };
        let body = toml::to_string(&file).unwrap_or_default();
        format!(
            "# Ballet cluster credentials (balletc keygen). SECRET: every site's private key.\n{body}"
        )
    }

    /// Parses a key file: known version, 32-byte keys, distinct names and
    /// public keys.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File =
            toml::from_str(text).map_err(|e| format!("not a key file: {}", e.message()))?;
        if !(OLDEST_VERSION..=FILE_VERSION).contains(&file.version) {
            return Err(format!(
                "key file version {} (this build reads versions {OLDEST_VERSION} to {FILE_VERSION})",
                file.version
            ));
        }
        if file.version == 1 && file.operator.is_some() {
            return Err("a version 1 key file has no operator key".into());
        }
        let mut sites: Vec<SiteKeys> = Vec::with_capacity(file.sites.len());
        for s in file.sites {
            let key = |text: &str, what: &str| {
                unhex(text).ok_or_else(|| format!("site `{}`: bad {what} key", s.name))
            };
            let keys = SiteKeys {
                public: key(&s.public, "public")?,
                private: key(&s.private, "private")?,
                name: s.name,
            };
            if sites.iter().any(|o| o.name == keys.name) {
                return Err(format!("site `{}` appears twice", keys.name));
            }
            if sites.iter().any(|o| o.public == keys.public) {
                return Err(format!("site `{}` reuses another site's key", keys.name));
            }
            sites.push(keys);
        }
        let operator = match file.operator {
            Some(k) => {
                let key = |text: &str, what: &str| {
                    unhex(text).ok_or_else(|| format!("operator: bad {what} key"))
                };
                let pair = KeyPair {
                    public: key(&k.public, "public")?,
                    private: key(&k.private, "private")?,
                };
                if sites.iter().any(|s| s.public == pair.public) {
                    return Err("the operator reuses a site's key".into());
                }
                Some(pair)
            }
            None => None,
        };
        Ok(ClusterKeys { sites, operator })
    }

    /// Reads and parses the key file at `path`.
    pub fn load(path: &Path) -> Result<Self, NetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NetError::Credentials(format!("cannot read `{}`: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| NetError::Credentials(format!("`{}`: {e}", path.display())))
    }

    /// The site names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sites.iter().map(|s| s.name.as_str())
    }

    /// The credentials of `site`, or `None` if the file has no such site.
    pub fn credentials(&self, site: SiteId) -> Option<Credentials> {
        let own = self.sites.get(site.index())?;
        Some(Credentials {
            site,
            private: own.private,
            roster: self.sites.iter().map(|s| s.public).collect(),
            operator: self.operator.as_ref().map(|k| k.public),
        })
    }

    /// The operator's credentials (`balletc status`), or `None` for a key
    /// file without an operator key (version 1).
    pub fn operator(&self) -> Option<OperatorCredentials> {
        let own = self.operator.as_ref()?;
        Some(OperatorCredentials {
            private: own.private,
            roster: self.sites.iter().map(|s| s.public).collect(),
        })
    }
}

impl fmt::Debug for ClusterKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterKeys")
            .field("sites", &self.names().collect::<Vec<_>>())
            .field("operator", &self.operator.is_some())
            .finish_non_exhaustive()
    }
}

/// What one site needs to join the cluster: its private key, the roster of
/// every site's public key (index = `SiteId`) and the operator's public key.
#[derive(Clone)]
pub struct Credentials {
    site: SiteId,
    private: [u8; KEY_LEN],
    roster: Vec<[u8; KEY_LEN]>,
    operator: Option<[u8; KEY_LEN]>,
}

/// What `balletc status` needs: the operator's private key, and the roster
/// to check that it talks to the site it called.
#[derive(Clone)]
pub struct OperatorCredentials {
    private: [u8; KEY_LEN],
    roster: Vec<[u8; KEY_LEN]>,
}

impl OperatorCredentials {
    /// The operator's private key.
    pub(crate) fn private_key(&self) -> &[u8; KEY_LEN] {
        &self.private
    }

    /// The public key of `site`.
    pub(crate) fn public_key(&self, site: SiteId) -> Option<&[u8; KEY_LEN]> {
        self.roster.get(site.index())
    }
}

impl fmt::Debug for OperatorCredentials {
    /// Never prints the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatorCredentials")
            .field("roster", &self.roster.len())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Loads the credentials of `site` from the key file at `path`.
    pub fn load(path: &Path, site: SiteId) -> Result<Self, NetError> {
        ClusterKeys::load(path)?.credentials(site).ok_or_else(|| {
            NetError::Credentials(format!(
                "`{}` has no key for site #{}",
                path.display(),
                site.0
            ))
        })
    }

    /// The site these credentials belong to.
    pub fn site(&self) -> SiteId {
        self.site
    }

    /// This site's private key.
    pub(crate) fn private_key(&self) -> &[u8; KEY_LEN] {
        &self.private
    }

    /// The public key of `site`.
    pub(crate) fn public_key(&self, site: SiteId) -> Option<&[u8; KEY_LEN]> {
        self.roster.get(site.index())
    }

    /// Whether `key` is the operator's.
    pub(crate) fn is_operator(&self, key: &[u8]) -> bool {
        self.operator.is_some_and(|k| k[..] == *key)
    }

    /// The site whose public key is `key`, if any.
    pub(crate) fn site_of(&self, key: &[u8]) -> Option<SiteId> {
        self.roster
            .iter()
            .position(|k| k[..] == *key)
            .map(SiteId::from_index)
    }
}

impl fmt::Debug for Credentials {
    /// Never prints the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("site", &self.site)
            .field("roster", &self.roster.len())
            .finish_non_exhaustive()
    }
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 32-byte key from 64 hexadecimal digits.
fn unhex(text: &str) -> Option<[u8; KEY_LEN]> {
    let text = text.as_bytes();
    if text.len() != 2 * KEY_LEN {
        return None;
    }
    let mut out = [0; KEY_LEN];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let digits = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(digits, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("s{i}")).collect()
    }

    #[test]
    fn file_round_trips() {
        let keys = ClusterKeys::generate(&names(3)).expect("keys");
        let text = keys.to_toml();
        assert_eq!(ClusterKeys::parse(&text).expect("parses"), keys);
        let creds = keys.credentials(SiteId(2)).expect("site 2");
        assert_eq!(creds.site_of(&keys.sites[1].public), Some(SiteId(1)));
        assert!(keys.credentials(SiteId(3)).is_none());
        assert!(!format!("{creds:?}{keys:?}").contains(&hex(&keys.sites[2].private)));
    }

    #[test]
    fn bad_files_are_refused() {
        let keys = ClusterKeys::generate(&names(2)).expect("keys");
        let text = keys.to_toml();
        let twice = text.replace("name = \"s1\"", "name = \"s0\"");
        let short = text.replacen("public = \"", "public = \"00", 1);
        let version = text.replace("version = 2", "version = 9");
        for bad in [twice.as_str(), &short, &version, "x = 1", "[[sites]]"] {
            assert!(ClusterKeys::parse(bad).is_err(), "{bad}");
        }
        assert!(unhex(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn version_1_files_without_an_operator_still_load() {
        let keys = ClusterKeys::generate(&names(2)).expect("keys");
        assert!(keys.operator().is_some());
        let text = keys.to_toml();
        let start = text.find("[operator]").expect("an operator table");
        let old = text[..start].replace("version = 2", "version = 1");
        let parsed = ClusterKeys::parse(&old).expect("a version 1 file");
        assert!(parsed.operator().is_none());
        let creds = parsed.credentials(SiteId(0)).expect("site 0");
        assert!(!creds.is_operator(&keys.sites[0].public));
        assert!(ClusterKeys::parse(&text.replace("version = 2", "version = 1")).is_err());
    }
}
