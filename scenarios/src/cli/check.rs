//! `shakedown check`: checks recorded histories (EDN or JSONL) against a model.
//!
//! Exit codes follow Jepsen: 0 valid, 1 invalid, 2 unknown; 3 for bad input
//! or usage. With several files each is checked and reported, and the exit
//! code is the worst of them: bad input, then invalid, then unknown, then
//! valid (Jepsen's rule: an invalid result outweighs an unknown one).

use super::{EXIT_BAD_INPUT, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID};
use crate::stdio::{errln, outln};
use shakedown_checkers::{
    edn, model_by_name, read_history_file_limited, AnyModel, Budget, CheckError, CheckOptions,
    CheckReport, Counterexample, OpSummary, Outcome, ReadError, ReadLimits, Verdict,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Arguments of `shakedown check`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 valid, 1 invalid, 2 unknown, 3 bad input or usage.\n\
With several files, the exit code is the worst: 3, then 1, then 2, then 0.\n\n\
Models: register, cas-register, kv, mutex, multi-register, set, queue, unordered-queue,\n\
counter, sequential-register, sequential-cas-register, sequential-kv.\n\n\
Example: shakedown check --model cas-register --initial 0 history.edn"
)]
pub struct Args {
    /// The model to check against: register, cas-register, kv, mutex,
    /// multi-register, set, queue, unordered-queue, counter, or
    /// sequential-register, sequential-cas-register, sequential-kv.
    #[arg(long, value_name = "MODEL")]
    pub model: String,

    /// The model's initial state, in EDN: `0`, `nil`, `{:x 0 :y 0}`.
    #[arg(long, value_name = "EDN", default_value = "nil")]
    pub initial: String,

    /// Print one JSON object per file instead of text.
    #[arg(long)]
    pub json: bool,

    /// Give up with `unknown` after this long per file: `10s`, `500ms`, `2m`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub time_limit: Duration,

    /// Give up with `unknown` when reading and checking one file would hold
    /// more than this much memory: `2GiB`, `512MiB`.
    #[arg(long, value_name = "BYTES", default_value = "4GiB", value_parser = parse_bytes)]
    pub memory_limit: u64,

    /// Give up with `unknown` after this many search steps per file: a
    /// budget that gives the same verdict on every machine.
    #[arg(long, value_name = "STEPS")]
    pub steps_limit: Option<u64>,

    /// A process that is not a client (besides the nemesis): its events are
    /// skipped. Repeat for several: `--non-client :checker --non-client 99`.
    #[arg(long, value_name = "PROCESS")]
    pub non_client: Vec<String>,

    /// Call a history with no client operation valid (by default it is an
    /// error: there is nothing to check).
    #[arg(long)]
    pub allow_empty: bool,

    /// Also write a self-contained HTML report. With one file, PATH is the
    /// report; with several, PATH is a directory that gets `<stem>.html` for
    /// each file.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    /// History files: `.edn` (Jepsen's layouts) or `.jsonl`.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Runs `shakedown check` and returns the exit code.
pub fn run(args: Args) -> u8 {
    let initial = match edn::parse_value(&args.initial) {
        Ok(v) => v,
        Err(e) => {
            return super::bad_input(format!(
                "--initial {:?}: {} (column {}); write an EDN value such as `0`, `nil` or `{{:x 0 :y 0}}`",
                args.initial, e.message, e.column
            ))
        }
    };
    let model = match model_by_name(&args.model, initial) {
        Ok(m) => m,
        Err(e) => return super::bad_input(format!("--model {}: {e}", args.model)),
    };
    let options = CheckOptions {
        budget: Budget {
            time_limit: Some(args.time_limit),
            memory_limit_bytes: Some(args.memory_limit),
        },
        steps_limit: args.steps_limit,
        non_clients: args.non_client.clone(),
        allow_no_client_ops: args.allow_empty,
        started: None,
    };
    let several = args.files.len() > 1;
    let reports = match &args.report {
        Some(out) => match report_paths(&args.files, out, several) {
            Ok(paths) => paths.into_iter().map(Some).collect(),
            Err(message) => return super::bad_input(message),
        },
        None => vec![None; args.files.len()],
    };
    if let (Some(dir), true) = (&args.report, several) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return super::bad_input(format!("--report {}: {e}", dir.display()));
        }
    }
    let mut worst = EXIT_VALID;
    for (file, report) in args.files.iter().zip(&reports) {
        let code = check_file(file, model.as_ref(), &options, args.json, report.as_deref());
        worst = worse(worst, code);
    }
    worst
}

/// Where each file's report goes. With one file, `out` itself; with
/// several, `out/<stem>.html`, or, where two files share a stem, their
/// paths' parts joined by `_` (`sa_x.html`, `sb_x.html`), with `-2`, `-3`
/// added if that is still not enough. A report never replaces an input.
fn report_paths(files: &[PathBuf], out: &Path, several: bool) -> Result<Vec<PathBuf>, String> {
    let paths: Vec<PathBuf> = if several {
        let stem = |f: &PathBuf| {
            f.file_stem()
                .map_or_else(|| "history".into(), |s| s.to_string_lossy().into_owned())
        };
        let mut names: Vec<String> = files.iter().map(stem).collect();
        let clash =
            |names: &[String], i: usize| names.iter().filter(|n| **n == names[i]).count() > 1;
        let clashing: Vec<bool> = (0..names.len()).map(|i| clash(&names, i)).collect();
        for (i, file) in files.iter().enumerate() {
            if clashing[i] {
                let parts: Vec<String> = file
                    .with_extension("")
                    .components()
                    .filter_map(|c| match c {
                        std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
                        _ => None,
                    })
                    .collect();
                names[i] = parts.join("_");
            }
        }
        let mut taken = std::collections::BTreeSet::new();
        names
            .into_iter()
            .map(|name| {
                let name: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let mut unique = name.clone();
                let mut n = 2;
                while !taken.insert(unique.clone()) {
                    unique = format!("{name}-{n}");
                    n += 1;
                }
                out.join(format!("{unique}.html"))
            })
            .collect()
    } else {
        vec![out.to_owned()]
    };
    for report in &paths {
        let Some(report_at) = where_it_would_be(report) else {
            continue;
        };
        for file in files {
            if std::fs::canonicalize(file).is_ok_and(|f| f == report_at) {
                return Err(format!(
                    "--report {}: that is the input {}; the report would overwrite it. Name another path.",
                    report.display(),
                    file.display()
                ));
            }
        }
    }
    Ok(paths)
}

/// The absolute, link-free path a file would have if written at `path`
/// (its directory resolved, the name kept), or `None` if the directory
/// does not exist yet (then it holds no input either).
fn where_it_would_be(path: &Path) -> Option<PathBuf> {
    if let Ok(existing) = std::fs::canonicalize(path) {
        return Some(existing);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(name))
}

/// The worse of two exit codes: bad input, then invalid, then unknown, then valid.
fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        EXIT_BAD_INPUT => 3,
        EXIT_INVALID => 2,
        EXIT_UNKNOWN => 1,
        _ => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

fn check_file(
    file: &Path,
    model: &dyn AnyModel,
    options: &CheckOptions,
    json: bool,
    report: Option<&Path>,
) -> u8 {
    // The time limit counts reading too; a file too big for the memory
    // limit is refused while it is read, as `unknown`.
    let started = Instant::now();
    let limits = ReadLimits {
        memory_limit_bytes: options.budget.memory_limit_bytes,
        deadline: options.budget.time_limit.map(|d| started + d),
    };
    let (history, positions) = match read_history_file_limited(file, limits) {
        Ok(parsed) => parsed,
        Err(ReadError::Limit { reason, .. }) => {
            let verdict = Verdict::unknown(0, reason);
            let report = CheckReport {
                verdict,
                checked_ops: 0,
                skipped_events: 0,
                skipped_processes: Vec::new(),
                steps: 0,
            };
            if json {
                print_json(file, model, &report, started.elapsed());
            } else {
                print_text(file, model, &report, started.elapsed());
            }
            return EXIT_UNKNOWN;
        }
        Err(e) => return report_bad_input(file, model, &e.to_string(), json),
    };
    let options = CheckOptions {
        started: Some(started),
        ..options.clone()
    };
    let result = model.check_with(&history, &options);
    let elapsed = started.elapsed();
    match result {
        Ok(checked) => {
            if json {
                print_json(file, model, &checked, elapsed);
            } else {
                print_text(file, model, &checked, elapsed);
            }
            let verdict = checked.verdict;
            if let Some(out) = report {
                if let Err(e) = super::report::write_check_report(
                    out,
                    file,
                    &history,
                    &verdict,
                    model.model_name(),
                ) {
                    return super::bad_input(format!("--report {}: {e}", out.display()));
                }
                errln!("report: {}", out.display());
            }
            match verdict.outcome {
                Outcome::Valid => EXIT_VALID,
                Outcome::Invalid => EXIT_INVALID,
                Outcome::Unknown => EXIT_UNKNOWN,
            }
        }
        Err(e) => {
            let at = match e.event().and_then(|i| positions.get(i)) {
                Some((line, column)) => format!("{}:{line}:{column}", file.display()),
                None => file.display().to_string(),
            };
            let message = match &e {
                CheckError::Model(m) => m.message.clone(),
                _ => e.to_string(),
            };
            report_bad_input(file, model, &format!("{at}: {message}"), json)
        }
    }
}

fn report_bad_input(file: &Path, model: &dyn AnyModel, message: &str, json: bool) -> u8 {
    errln!("error: {message}");
    if json {
        let null = serde_json::Value::Null;
        let error = serde_json::Value::String(message.to_owned());
        outln!(
            "{}",
            json_line(
                file,
                model,
                &null,
                &null,
                &null,
                &null,
                Some(("error", &error))
            )
        );
    }
    EXIT_BAD_INPUT
}

fn print_json(file: &Path, model: &dyn AnyModel, checked: &CheckReport, elapsed: Duration) {
    let verdict = &checked.verdict;
    let valid = match verdict.outcome {
        Outcome::Valid => serde_json::Value::Bool(true),
        Outcome::Invalid => serde_json::Value::Bool(false),
        Outcome::Unknown => serde_json::Value::String("unknown".into()),
    };
    let elapsed_ms = serde_json::json!((elapsed.as_secs_f64() * 1e6).round() / 1e3);
    let counterexample = serde_json::to_value(&verdict.counterexample).unwrap_or_default();
    let reason = verdict.reason.clone().map(serde_json::Value::String);
    let mut line = json_line(
        file,
        model,
        &valid,
        &serde_json::json!(verdict.ops),
        &elapsed_ms,
        &counterexample,
        reason.as_ref().map(|r| ("reason", r)),
    );
    line.pop();
    line.push_str(&format!(
        ",\"skipped_events\":{},\"skipped_processes\":{},\"steps\":{}}}",
        checked.skipped_events,
        serde_json::json!(checked.skipped_processes),
        checked.steps
    ));
    outln!("{line}");
}

/// One object with the fields in the documented order (serde_json's own
/// maps would sort them).
fn json_line(
    file: &Path,
    model: &dyn AnyModel,
    valid: &serde_json::Value,
    ops: &serde_json::Value,
    elapsed_ms: &serde_json::Value,
    counterexample: &serde_json::Value,
    extra: Option<(&str, &serde_json::Value)>,
) -> String {
    let s = |v: &serde_json::Value| v.to_string();
    let mut line = format!(
        "{{\"file\":{},\"model\":{},\"valid\":{},\"ops\":{},\"elapsed_ms\":{},\"counterexample\":{}",
        s(&serde_json::Value::String(file.display().to_string())),
        s(&serde_json::Value::String(model.model_name().to_owned())),
        s(valid),
        s(ops),
        s(elapsed_ms),
        s(counterexample),
    );
    if let Some((name, value)) = extra {
        line.push_str(&format!(
            ",{}:{}",
            s(&serde_json::Value::String(name.to_owned())),
            s(value)
        ));
    }
    line.push('}');
    line
}

fn print_text(file: &Path, model: &dyn AnyModel, checked: &CheckReport, elapsed: Duration) {
    let verdict = &checked.verdict;
    outln!(
        "{}: {} ({}, {}, {} steps, checked in {})",
        file.display(),
        verdict.outcome.name(),
        model.model_name(),
        checked.counts(),
        checked.steps,
        format_elapsed(elapsed)
    );
    if let Some(reason) = &verdict.reason {
        outln!("  {reason}");
    }
    if let Some(ce) = &verdict.counterexample {
        crate::stdio::out(format_args!("{}", counterexample_text(ce)));
    }
}

/// Most prefix ops shown; earlier ones are summarised in a count.
const PREFIX_SHOWN: usize = 12;

/// The counterexample in words, indented under the verdict line.
pub fn counterexample_text(ce: &Counterexample) -> String {
    let mut out = String::new();
    out.push_str(&format!("  {}\n", ce.explanation));
    if let Some(key) = &ce.key {
        out.push_str(&format!("  Key: {key}\n"));
    }
    if let Some(op) = &ce.op {
        out.push_str(&format!("  Cannot be linearized: {}\n", op_line(op)));
    }
    // A counterexample rebuilt without a search (the budget ran out) has
    // no prefix or states to show.
    if !ce.prefix.is_empty() || !ce.states.is_empty() {
        out.push_str(&format!(
            "  Longest linearizable prefix ({} ops):\n",
            ce.prefix.len()
        ));
    }
    let skipped = ce.prefix.len().saturating_sub(PREFIX_SHOWN);
    if skipped > 0 {
        out.push_str(&format!("    ... {skipped} earlier ops\n"));
    }
    for (i, op) in ce.prefix.iter().enumerate().skip(skipped) {
        out.push_str(&format!("    {:>3}. {}\n", i + 1, op_line(op)));
    }
    if !ce.states.is_empty() {
        out.push_str(&format!(
            "  States reachable there: {}\n",
            ce.states.join(", ")
        ));
    }
    out
}

fn op_line(op: &OpSummary) -> String {
    let value = if op.completion == "ok" {
        &op.value
    } else {
        &op.invoke_value
    };
    let key = op
        .key
        .as_ref()
        .map(|k| format!(" key {k}"))
        .unwrap_or_default();
    let events = match op.complete_index {
        Some(c) => format!("events {}-{c}", op.invoke_index),
        None => format!("event {}, never completed", op.invoke_index),
    };
    format!(
        "process {} {}{key} {value} [{}] ({events})",
        op.process, op.f, op.completion
    )
}

fn format_elapsed(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1e3)
    } else {
        format!("{ms:.1} ms")
    }
}

/// Parses a duration the way scenario files write one (`10s`, `500ms`,
/// `1m30s`, `1.5s`, `1h`: [`shakedown_nemesis::SimDuration`]); a bare
/// number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let parsed = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        format!("{t}s").parse::<shakedown_nemesis::SimDuration>()
    } else {
        t.parse::<shakedown_nemesis::SimDuration>()
    };
    let d = parsed.map_err(|e| format!("`{text}`: {e}; write e.g. `10s`, `500ms` or `1m30s`"))?;
    if d.as_nanos() == 0 || d.as_secs_f64() > 1e9 {
        return Err(format!("`{text}` must be a positive duration"));
    }
    Ok(d.into())
}

/// Parses `2GiB`, `512MiB`, `100MB`, `1G`; a bare number is bytes.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size; write e.g. `2GiB` or `512MiB`"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1e3,
        "m" | "mib" => 1024.0 * 1024.0,
        "mb" => 1e6,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "gb" => 1e9,
        "t" | "tib" => 1024.0f64.powi(4),
        "tb" => 1e12,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}`; use B, KiB, MiB, GiB (or KB, MB, GB)"
            ))
        }
    };
    let bytes = n * scale;
    if !bytes.is_finite() || !(1.0..=1e18).contains(&bytes) {
        return Err(format!("`{text}` must be a positive size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_limits() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("0s").is_err());
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("100MB"), Ok(100_000_000));
        assert!(parse_bytes("2 parsecs").is_err());
    }

    #[test]
    fn worst_exit_code_follows_jepsen() {
        assert_eq!(worse(EXIT_VALID, EXIT_UNKNOWN), EXIT_UNKNOWN);
        assert_eq!(worse(EXIT_UNKNOWN, EXIT_INVALID), EXIT_INVALID);
        assert_eq!(worse(EXIT_INVALID, EXIT_UNKNOWN), EXIT_INVALID);
        assert_eq!(worse(EXIT_INVALID, EXIT_BAD_INPUT), EXIT_BAD_INPUT);
    }
}
