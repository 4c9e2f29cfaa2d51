//! Regression seeds: a failing seed a sweep finds is written next to its
//! scenario file, and every later sweep of that file runs it first, like
//! proptest's `proptest-regressions`.
//!
//! For `scenarios/raft-kv.toml` the file is `scenarios/raft-kv.regressions`:
//!
//! ```text
//! # Seeds that failed a sweep of raft-kv.toml. Every sweep of it runs them
//! # first. Commit this file; delete a line once its bug is fixed for good.
//! seed 0x1f2e  # invalid: The read of 12 by process 5 ... (shakedown 0.1.0)
//! ```
//!
//! Only the `seed <n>` of a line counts; `#` starts a comment. A seed is
//! recorded when a sweep of an `expect = "valid"` scenario finds a bug
//! (invalid, crashed or nondeterministic): for a bug hunt
//! (`expect = "invalid"`) a failing seed is the expected outcome, not a
//! regression. Turn it off per scenario with `regressions = false`, or for
//! one command with `--no-regressions` (`SHAKEDOWN_REGRESSIONS=0` in tests).

use crate::seeds::{format_seed, parse_seed};
use std::path::{Path, PathBuf};

/// The regressions file of a scenario file: its path with `.regressions`
/// in place of `.toml`.
pub fn path_for(scenario: &Path) -> PathBuf {
    scenario.with_extension("regressions")
}

/// The seeds a regressions file lists, in file order, without repeats.
/// A file that does not exist lists none. A line that is neither blank, a
/// comment nor `seed <n>` is an error naming its line and column.
pub fn read(path: &Path) -> Result<Vec<u64>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse(path, &text)
}

/// [`read`] of a file's text.
pub fn parse(path: &Path, text: &str) -> Result<Vec<u64>, String> {
    let mut seeds = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        let trimmed = content.trim_start();
        if trimmed.trim_end().is_empty() {
            continue;
        }
        let column = content.len() - trimmed.len() + 1;
        let at = |col: usize, what: String| format!("{}:{}:{col}: {what}", path.display(), i + 1);
        let mut words = trimmed.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("seed"), Some(seed), None) => match parse_seed(seed) {
                Ok(s) => {
                    if !seeds.contains(&s) {
                        seeds.push(s);
                    }
                }
                Err(e) => {
                    let col = column + trimmed.find(seed).unwrap_or(0);
                    return Err(at(col, format!("not a seed: {e}")));
                }
            },
            _ => {
                return Err(at(
                    column,
                    "expected `seed 0x…` (and an optional `# comment`)".to_owned(),
                ))
            }
        }
    }
    Ok(seeds)
}

/// Adds seeds to a scenario's regressions file (atomically; seeds already
/// there are left alone), each with a comment saying what it gave. Returns
/// the seeds that were new.
pub fn record(scenario: &Path, found: &[(u64, String)]) -> Result<Vec<u64>, String> {
    let path = path_for(scenario);
    let known = read(&path)?;
    let new: Vec<&(u64, String)> = found.iter().filter(|(s, _)| !known.contains(s)).collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(_) => {
            let name = scenario
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            format!(
                "# Seeds that failed a sweep of {name}. Every sweep of it runs them first.\n\
                 # Commit this file; delete a line once its bug is fixed for good.\n\
                 # Turn it off with `regressions = false` in {name}.\n"
            )
        }
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for (seed, what) in &new {
        let what: String = what
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(160)
            .collect();
        text.push_str(&format!(
            "seed {}  # {what} (shakedown {})\n",
            format_seed(*seed),
            env!("CARGO_PKG_VERSION")
        ));
    }
    crate::atomic::write_atomic(&path, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(new.iter().map(|(s, _)| *s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_comments_and_errors_with_positions() {
        let p = Path::new("x.regressions");
        let text = "# header\n\nseed 0x1f  # invalid: ...\n  seed 7\nseed 0x1f\n";
        assert_eq!(parse(p, text).unwrap(), [0x1f, 7]);
        let e = parse(p, "seed 1\n  sede 2\n").unwrap_err();
        assert!(e.starts_with("x.regressions:2:3: expected `seed"), "{e}");
        let e = parse(p, "seed zz\n").unwrap_err();
        assert!(e.starts_with("x.regressions:1:6: not a seed"), "{e}");
    }

    #[test]
    fn recording_appends_only_new_seeds() {
        let dir =
            std::env::temp_dir().join(format!("shakedown-regressions-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let scenario = dir.join("s.toml");
        assert_eq!(record(&scenario, &[(5, "invalid: a".into())]).unwrap(), [5]);
        assert_eq!(
            record(
                &scenario,
                &[(5, "invalid: a".into()), (9, "crashed: b\nmore".into())]
            )
            .unwrap(),
            [9]
        );
        assert_eq!(read(&path_for(&scenario)).unwrap(), [5, 9]);
        let text = std::fs::read_to_string(path_for(&scenario)).unwrap();
        assert!(
            text.starts_with("# Seeds that failed a sweep of s.toml."),
            "{text}"
        );
        assert!(
            text.contains("seed 0x9  # crashed: b (shakedown "),
            "{text}"
        );
    }
}
