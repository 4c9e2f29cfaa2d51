//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a plausible typo (at most a third of the word's length, minimum 1),
/// or a candidate that is `word` plus a unit suffix (`offset` → `offset_ms`).
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            let unit_suffix = c
                .strip_prefix(word)
                .is_some_and(|rest| rest.starts_with('_'));
            (
                if unit_suffix {
                    0
                } else {
                    edit_distance(word, c)
                },
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["random-halves", "isolate", "crash", "clock-bump"];
        assert_eq!(did_you_mean("crsh", names), Some("crash"));
        assert_eq!(did_you_mean("random-halfs", names), Some("random-halves"));
        assert_eq!(did_you_mean("banana", names), None);
        assert_eq!(
            did_you_mean("offset", ["target", "offset_ms"]),
            Some("offset_ms")
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
