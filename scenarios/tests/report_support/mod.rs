//! Shared by the report tests and the report benchmark: synthetic runs and a
//! headless Chromium driver.
#![allow(dead_code)]

use shakedown::report::{Metrics, Series};
use shakedown_checkers::{
    Counterexample, Event, EventType, History, OpSummary, Process, Value, Verdict,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small deterministic generator (SplitMix64), so histories are the same
/// on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A Shakedown-like register run: `clients` concurrent clients, `ops` ops
/// with simulated `:time`s, `ok`/`fail`/`info` completions (a process is
/// retired after `info`, as in Jepsen), and a nemesis that partitions and
/// heals every two simulated seconds and kills and restarts a node.
pub fn synthetic_history(ops: usize, clients: i64, seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let mut timed: Vec<(i64, u64, Event)> = Vec::with_capacity(ops * 2 + 64);
    let mut seq = 0u64;
    let mut push = |timed: &mut Vec<(i64, u64, Event)>, t: i64, e: Event| {
        seq += 1;
        timed.push((t, seq, e.at(t)));
    };
    let t_start: i64 = 1_000_000_000;
    let mut clock: Vec<i64> = (0..clients).map(|c| t_start + c * 1_000).collect();
    let mut process: Vec<i64> = (0..clients).collect();
    let mut last_written = 0i64;
    for n in 0..ops {
        let c = (rng.below(clients as u64)) as usize;
        let p = Process::Client(process[c]);
        let t0 = clock[c];
        let latency =
            200_000 + (rng.below(5_000_000) as i64) * if rng.below(50) == 0 { 20 } else { 1 };
        let t1 = t0 + latency;
        let (f, inv, res) = match rng.below(3) {
            0 => ("read", Value::Nil, Value::Int(last_written)),
            1 => {
                last_written = n as i64;
                ("write", Value::Int(n as i64), Value::Int(n as i64))
            }
            _ => {
                let v = Value::Vector(vec![Value::Int(last_written), Value::Int(n as i64)]);
                (("cas"), v.clone(), v)
            }
        };
        push(
            &mut timed,
            t0,
            Event::new(p.clone(), EventType::Invoke, f, inv.clone()),
        );
        let roll = rng.below(100);
        if roll < 90 {
            push(&mut timed, t1, Event::new(p, EventType::Ok, f, res));
        } else if roll < 96 {
            push(&mut timed, t1, Event::new(p, EventType::Fail, f, inv));
        } else {
            push(&mut timed, t1, Event::new(p, EventType::Info, f, inv));
            process[c] += clients;
        }
        clock[c] = t1 + 100_000 + rng.below(1_000_000) as i64;
    }
    let t_end = clock.iter().copied().max().unwrap_or(t_start);
    let mut t = t_start + 500_000_000;
    let mut k = 0;
    while t + 1_000_000_000 < t_end {
        let target = format!("n{}", 1 + k % 5);
        let nem = Process::nemesis;
        if k % 3 == 2 {
            push(
                &mut timed,
                t,
                Event::new(nem(), EventType::Info, "kill", Value::Str(target.clone())),
            );
            push(
                &mut timed,
                t + 700_000_000,
                Event::new(nem(), EventType::Info, "start", Value::Str(target)),
            );
        } else {
            let cut = Value::Map(vec![(
                Value::Str(target.clone()),
                Value::Set(vec![Value::Str("n2".into()), Value::Str("n3".into())]),
            )]);
            push(
                &mut timed,
                t,
                Event::new(
                    nem(),
                    EventType::Info,
                    "start-partition",
                    Value::keyword("isolated"),
                ),
            );
            push(
                &mut timed,
                t + 1_000_000,
                Event::new(nem(), EventType::Info, "start-partition", cut),
            );
            push(
                &mut timed,
                t + 900_000_000,
                Event::new(nem(), EventType::Info, "stop-partition", Value::Nil),
            );
        }
        t += 2_000_000_000;
        k += 1;
    }
    timed.sort_by_key(|(t, s, _)| (*t, *s));
    History::new(timed.into_iter().map(|(_, _, e)| e).collect())
}

/// Message counters per node (sent, delivered, dropped, duplicated) and a
/// hint backlog gauge, sampled every `step_ns` over the history's span.
pub fn synthetic_metrics(history: &History, nodes: usize, step_ns: i64) -> Metrics {
    let lo = history
        .events
        .iter()
        .filter_map(|e| e.time_ns)
        .min()
        .unwrap_or(0);
    let hi = history
        .events
        .iter()
        .filter_map(|e| e.time_ns)
        .max()
        .unwrap_or(0);
    let mut rng = Rng::new(7);
    let mut series = Vec::new();
    for n in 1..=nodes {
        let node = format!("n{n}");
        let (mut sent, mut delivered, mut dropped, mut dup, mut backlog) =
            (0.0, 0.0, 0.0, 0.0, 0.0f64);
        let mut pts: [Vec<(i64, f64)>; 5] = Default::default();
        let mut t = lo;
        while t <= hi {
            let s = 50.0 + rng.below(50) as f64;
            let d = if rng.below(10) == 0 {
                s * 0.5
            } else {
                s * 0.98
            };
            sent += s;
            delivered += d;
            dropped += s - d;
            dup += (rng.below(3) == 0) as u8 as f64;
            backlog = (backlog + (s - d) * 0.5 - 8.0).max(0.0);
            for (i, v) in [sent, delivered, dropped, dup, backlog]
                .into_iter()
                .enumerate()
            {
                pts[i].push((t, v));
            }
            t += step_ns;
        }
        let [a, b, c, d, e] = pts;
        series.push(Series::counter("sent", &node, a));
        series.push(Series::counter("delivered", &node, b));
        series.push(Series::counter("dropped", &node, c));
        series.push(Series::counter("duplicated", &node, d));
        series.push(Series::gauge("hint_backlog", &node, e));
    }
    Metrics::new(series)
}

/// A small failing run: five clients on a register, a partition, and a read
/// that returns a value overwritten before it began: not linearizable. Its
/// history values include markup that must render as text.
pub fn failing_history() -> History {
    let c = |p: i64| Process::Client(p);
    let ms = |m: i64| 1_000_000_000 + m * 1_000_000;
    let evil = Value::Str(
        "<script>document.documentElement.setAttribute('data-pwned','1')</script>".into(),
    );
    let evil_img = Value::Str(
        "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\">".into(),
    );
    let mut events = vec![
        Event::new(c(0), EventType::Invoke, "write", Value::Int(1)).at(ms(0)),
        Event::new(c(0), EventType::Ok, "write", Value::Int(1)).at(ms(4)),
        Event::new(c(1), EventType::Invoke, "read", Value::Nil).at(ms(5)),
        Event::new(c(2), EventType::Invoke, "write", evil.clone()).at(ms(6)),
        Event::new(c(1), EventType::Ok, "read", Value::Int(1)).at(ms(9)),
        Event::new(c(2), EventType::Fail, "write", evil).at(ms(11)),
        Event::new(
            Process::nemesis(),
            EventType::Info,
            "start-partition",
            Value::keyword("majority"),
        )
        .at(ms(12)),
        Event::new(
            Process::nemesis(),
            EventType::Info,
            "start-partition",
            evil_img.clone(),
        )
        .at(ms(13)),
        Event::new(c(3), EventType::Invoke, "write", Value::Int(2)).at(ms(14)),
        Event::new(
            c(4),
            EventType::Invoke,
            "cas",
            Value::Vector(vec![1.into(), 3.into()]),
        )
        .at(ms(15)),
        Event::new(c(3), EventType::Ok, "write", Value::Int(2)).at(ms(20)),
        Event::new(
            c(4),
            EventType::Info,
            "cas",
            Value::Vector(vec![1.into(), 3.into()]),
        )
        .at(ms(40)),
        Event::new(c(0), EventType::Invoke, "read", Value::Nil).at(ms(22)),
        Event::new(c(0), EventType::Ok, "read", Value::Int(2)).at(ms(25)),
        Event::new(c(1), EventType::Invoke, "write", Value::Int(4)).at(ms(27)),
        Event::new(c(1), EventType::Ok, "write", Value::Int(4)).at(ms(31)),
        Event::new(
            Process::nemesis(),
            EventType::Info,
            "stop-partition",
            Value::Nil,
        )
        .at(ms(45)),
        Event::new(c(3), EventType::Invoke, "read", Value::Nil).at(ms(50)),
        Event::new(c(3), EventType::Ok, "read", Value::Int(2)).at(ms(53)),
        Event::new(c(0), EventType::Invoke, "write", Value::Int(5)).at(ms(55)),
        Event::new(c(0), EventType::Ok, "write", Value::Int(5)).at(ms(58)),
    ];
    events.sort_by_key(|e| e.time_ns);
    History::new(events)
}

/// The verdict on [`failing_history`]: invalid at the read of 2 after 4 was
/// written (and the cas on 1 may or may not have happened).
pub fn failing_verdict(history: &History) -> Verdict {
    let ops = history.client_ops().expect("pairs");
    let bad = ops
        .iter()
        .rev()
        .find(|o| o.f == "read" && o.value == Value::Int(2))
        .map(OpSummary::from);
    let prefix: Vec<OpSummary> = ops
        .iter()
        .filter(|o| {
            o.completion == shakedown_checkers::Completion::Ok
                && o.invoke_time_ns < bad.as_ref().and_then(|b| ops[b.id].invoke_time_ns)
        })
        .map(OpSummary::from)
        .collect();
    Verdict::invalid(
        ops.len(),
        Counterexample {
            key: None,
            op: bad,
            prefix,
            states: vec!["4".into()],
            explanation: "process 3 read 2, but write 4 by process 1 had completed before the read began and nothing wrote 2 again; after the longest linearizable prefix the register holds 4 (<b>not bold</b>).".into(),
        },
    )
}

/// Where tests put files: under cargo's per-target tmp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The Chromium binary: `$SHAKEDOWN_CHROMIUM`, else `chromium`,
/// `chromium-browser` or `google-chrome` on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SHAKEDOWN_CHROMIUM") {
        // Set: exactly this binary, or none.
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The browser for a test, or `None` when it is absent and
/// `SHAKEDOWN_SKIP_BROWSER=1` says to skip. Absent without that: the test
/// fails, because CI installs Chromium and must really run these tests.
pub fn browser_or_skip(test: &str) -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if std::env::var("SHAKEDOWN_SKIP_BROWSER").as_deref() == Ok("1") => {
            eprintln!("{test}: SKIPPED: no chromium found and SHAKEDOWN_SKIP_BROWSER=1");
            None
        }
        None => panic!(
            "{test}: headless Chromium is required for the report browser tests but was not found \
             on PATH (looked for chromium, chromium-browser, google-chrome; or set SHAKEDOWN_CHROMIUM). \
             Run the tests with `ci/test.sh` (it installs chromium when missing), or `apt-get install -y chromium`, or set SHAKEDOWN_SKIP_BROWSER=1 to skip."
        ),
    }
}

/// What a headless Chromium run left behind.
pub struct BrowserRun {
    /// Standard output (`--dump-dom` writes the DOM here).
    pub stdout: String,
    /// Standard error (`--enable-logging=stderr` writes console messages here).
    pub stderr: String,
    /// Wall-clock time of the whole browser run.
    pub elapsed: Duration,
}

/// Runs headless Chromium on `page` with extra `args` (`--dump-dom`,
/// `--screenshot=...`), a fresh profile, no network and a time limit.
pub fn run_chromium(chromium: &Path, page: &Path, args: &[String], work: &Path) -> BrowserRun {
    run_chromium_query(chromium, page, "", args, work)
}

/// Like [`run_chromium`], with a query string (`?selftest`) on the page's URL.
pub fn run_chromium_query(
    chromium: &Path,
    page: &Path,
    query: &str,
    args: &[String],
    work: &Path,
) -> BrowserRun {
    run_chromium_sized(chromium, page, query, args, work, (1400, 900))
}

/// Like [`run_chromium_query`], in a window of `(width, height)` pixels
/// (a screenshot captures the window).
pub fn run_chromium_sized(
    chromium: &Path,
    page: &Path,
    query: &str,
    args: &[String],
    work: &Path,
    window: (u32, u32),
) -> BrowserRun {
    let profile = work.join(format!("profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).expect("profile dir");
    let out_path = work.join("chromium.stdout");
    let err_path = work.join("chromium.stderr");
    let url = format!(
        "file://{}{query}",
        page.canonicalize().expect("page exists").display()
    );
    let started = Instant::now();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--window-size={},{}", window.0, window.1))
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let deadline = Duration::from_secs(120);
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(_) => break,
            None if started.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within {deadline:?}");
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&profile);
    BrowserRun {
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        elapsed,
    }
}

/// The value of an attribute of the `<html>` element in a dumped DOM.
pub fn html_attribute(dom: &str, name: &str) -> Option<String> {
    let start = dom.find("<html")?;
    let end = start + dom[start..].find('>')?;
    let tag = &dom[start..end];
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].to_owned())
}

/// Console messages Chromium logged to stderr (`--enable-logging=stderr`
/// logs every console message, errors included, as `INFO:CONSOLE`). The
/// report logs nothing, so any message is a finding.
pub fn console_errors(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

/// Checks `history` with the real checker against a built-in model.
pub fn check(history: &History, model: &str, initial: Value) -> Verdict {
    let model = shakedown_checkers::model_by_name(model, initial).expect("a built-in model");
    model
        .check_history(history, shakedown_checkers::Budget::default())
        .expect("history checks")
}

/// A reference history from `checkers/histories`.
pub fn reference_history(name: &str) -> (PathBuf, History) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../checkers/histories")
        .join(name);
    let history = shakedown_checkers::read_history_file(&path)
        .unwrap_or_else(|e| panic!("reference history {}: {e}", path.display()));
    (path, history)
}

/// Takes a screenshot of `page` in a `window`, checks it is a PNG that is
/// not blank, and returns its path.
pub fn screenshot(
    chromium: &Path,
    page: &Path,
    query: &str,
    work: &Path,
    name: &str,
    window: (u32, u32),
) -> PathBuf {
    let shot = work.join(name);
    let run = run_chromium_sized(
        chromium,
        page,
        query,
        &[format!("--screenshot={}", shot.display())],
        work,
        window,
    );
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{}", shot.display(), run.stderr));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
    assert!(
        png.len() > 20_000,
        "{name} is only {} bytes: a blank page?",
        png.len()
    );
    eprintln!("screenshot: {} ({} bytes)", shot.display(), png.len());
    shot
}

/// A tick label's value in the axis's base unit (`1.5 s` is 1.5e9 ns,
/// `200` is 200), or `None` if it is not a number with a known unit.
pub fn tick_value(label: &str) -> Option<f64> {
    let label = label.trim();
    let (num, scale) = match label.rsplit_once(' ') {
        Some((n, "s")) => (n, 1e9),
        Some((n, "ms")) => (n, 1e6),
        Some((n, "µs")) => (n, 1e3),
        Some((n, "ns")) => (n, 1.0),
        Some(_) => return None,
        None => match label.strip_suffix('k') {
            Some(n) => (n, 1e3),
            None => match label.strip_suffix('M') {
                Some(n) => (n, 1e6),
                None => (label, 1.0),
            },
        },
    };
    num.parse::<f64>().ok().map(|v| v * scale)
}

/// Whether tick labels are round: evenly spaced by 1, 2 or 5 times a power
/// of ten with every value a multiple of the step, or (a log scale) powers
/// of ten. Explains what is wrong otherwise.
pub fn check_round_ticks(labels: &[String]) -> Result<(), String> {
    let values: Vec<f64> = labels
        .iter()
        .map(|l| tick_value(l).ok_or_else(|| format!("tick {l:?} is not a number")))
        .collect::<Result<_, _>>()?;
    if values.len() < 2 {
        return Err(format!("only {} ticks: {labels:?}", values.len()));
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-9);
    let is_power_of_ten = |v: f64| v > 0.0 && close(10f64.powf(v.log10().round()), v);
    if values.iter().all(|&v| is_power_of_ten(v)) {
        return Ok(());
    }
    let step = values[1] - values[0];
    let mag = 10f64.powf(step.log10().floor());
    if ![1.0, 2.0, 5.0, 10.0].iter().any(|m| close(m * mag, step)) {
        return Err(format!(
            "step {step} is not 1, 2 or 5 times a power of ten: {labels:?}"
        ));
    }
    for w in values.windows(2) {
        if !close(w[1] - w[0], step) {
            return Err(format!("uneven ticks: {labels:?}"));
        }
    }
    for v in &values {
        if !close((v / step).round() * step, *v) {
            return Err(format!(
                "tick {v} is not a multiple of the step {step}: {labels:?}"
            ));
        }
    }
    Ok(())
}

/// The text of every `<text class="CLASS">` in each chart of a page, chart
/// by chart (`xtick` or `ytick`).
pub fn chart_ticks(html: &str, class: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for figure in html.split(r#"<figure class="chart" id=""#).skip(1) {
        let id = figure.split('"').next().unwrap_or_default().to_owned();
        let figure = figure.split("</figure>").next().unwrap_or_default();
        let needle = format!(r#"<text class="{class}""#);
        let labels = figure
            .split(&needle)
            .skip(1)
            .filter_map(|t| {
                let body = t.split_once('>')?.1;
                Some(body.split("</text>").next()?.to_owned())
            })
            .collect();
        out.push((id, labels));
    }
    out
}

pub fn assert_clean_page(dom: &str, stderr: &str) {
    assert_eq!(
        html_attribute(dom, "data-rendered").as_deref(),
        Some("ok"),
        "the page's script did not finish"
    );
    assert_eq!(
        html_attribute(dom, "data-js-errors"),
        None,
        "JavaScript errors were recorded"
    );
    let console = console_errors(stderr);
    assert!(console.is_empty(), "console errors: {console:#?}");
    assert_eq!(
        html_attribute(dom, "data-pwned"),
        None,
        "a script from the history ran"
    );
}
