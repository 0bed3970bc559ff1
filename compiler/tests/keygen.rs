//! `balletc keygen`: the key file it writes loads as the agents' credentials.

use std::path::PathBuf;
use std::process::{Command, Output};

use ballet_runtime::net::ClusterKeys;
use ballet_runtime::SiteId;

fn balletc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_balletc"))
        .args(args)
        .output()
        .expect("balletc runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("balletc-keygen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn keys_for_every_site_of_the_inventory_beside_the_output() {
    let dir = temp_dir("ok");
    std::fs::write(
        dir.join("inventory.toml"),
        "[sites.master]\naddress = \"127.0.0.1:7400\"\n[sites.worker_0]\naddress = \"127.0.0.1:7401\"\n",
    )
    .expect("inventory");
    let key = dir.join("cluster.key");
    let out = balletc(&["keygen", "-o", key.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = ClusterKeys::load(&key).expect("loads");
    assert_eq!(keys.names().collect::<Vec<_>>(), ["master", "worker_0"]);
    assert!(keys.credentials(SiteId(1)).is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // An existing key file is kept unless --force.
    let again = balletc(&["keygen", "-o", key.to_str().expect("utf-8")]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(ClusterKeys::load(&key).expect("kept"), keys);
    let forced = balletc(&["keygen", "-o", key.to_str().expect("utf-8"), "--force"]);
    assert!(forced.status.success());
    assert_ne!(ClusterKeys::load(&key).expect("new"), keys);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_or_bad_inventory_is_an_error() {
    let dir = temp_dir("bad");
    let key = dir.join("cluster.key");
    let out = balletc(&["keygen", "-o", key.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inventory"));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[sites.a]\naddress = 3\n").expect("write");
    let out = balletc(&[
        "keygen",
        "-o",
        key.to_str().expect("utf-8"),
        "--sites",
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!key.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
