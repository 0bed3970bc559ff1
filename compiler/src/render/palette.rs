//! The colours of behaviors in charts: fixed for the usual names, so that
//! `deploy` is the same blue in every chart, and a stable hash for others.

/// Fixed colours of the usual behaviors, so `deploy` is always blue.
const NAMED: [(&str, &str); 7] = [
    ("deploy", "#4e79a7"),
    ("interrupt", "#f28e2b"),
    ("update", "#59a14f"),
    ("pause", "#edc948"),
    ("stop", "#e15759"),
    ("uninstall", "#b07aa1"),
    ("destroy", "#9c755f"),
];
/// Colours of other behaviors, chosen by a hash of the name.
const OTHERS: [&str; 8] = [
    "#76b7b2", "#ff9da7", "#bab0ac", "#86bcb6", "#d37295", "#a0cbe8", "#8cd17d", "#b6992d",
];

/// The colour of a behavior: fixed for the usual names, otherwise a stable
/// hash (FNV-1a) of the name into a fixed palette.
pub fn behavior_colour(name: &str) -> &'static str {
    if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == name) {
        return c;
    }
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    OTHERS[(hash % OTHERS.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_is_always_blue_and_other_names_are_stable() {
        assert_eq!(behavior_colour("deploy"), "#4e79a7");
        let other = behavior_colour("reconfigure");
        assert_eq!(other, behavior_colour("reconfigure"));
        assert!(OTHERS.contains(&other));
    }
}
