//! "Did you mean ...?": the closest known name to a misspelt one.

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a plausible typo (at most a third of the name's length, at least 1).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Short names get two edits (a swapped pair of letters), long ones a third.
    let len = name.chars().count();
    let limit = if len >= 4 { (len / 3).max(2) } else { 1 };
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// Adds "did you mean `x`?" to `diagnostic` when a candidate is close to
/// `name`, or else a note listing the candidates (`what` names them, e.g.
/// "`Db` has ports").
pub fn hint<'a>(
    diagnostic: crate::Diagnostic,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    what: &str,
) -> crate::Diagnostic {
    if let Some(best) = closest(name, candidates.clone()) {
        return diagnostic.help(format!("did you mean `{best}`?"));
    }
    let list: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
    if list.is_empty() {
        diagnostic
    } else {
        diagnostic.note(format!("{what}: {}", list.join(", ")))
    }
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_names_only() {
        let names = ["deployed", "configured", "initiated"];
        assert_eq!(closest("deploied", names), Some("deployed"));
        assert_eq!(closest("configred", names), Some("configured"));
        assert_eq!(closest("xyz", names), None);
    }
}
