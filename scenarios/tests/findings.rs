//! The run's own verdicts, `crashed` and `nondeterministic`, on fixture
//! models written as a user would write them: one that draws timer delays
//! from the thread RNG, one that panics on a rare request.

use rand::Rng;
use serde::Deserialize;
use shakedown::models::Registry;
use shakedown::runner::{self, Finding, RunOutcome, Status, SweepOptions};
use shakedown::scenario::Scenario;
use shakedown_checkers::Value;
use shakedown_sim::models::apply_op;
use shakedown_sim::node::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A one-node register with two user mistakes behind switches.
struct Fixture {
    value: Value,
    thread_rng: bool,
    panic_one_in: u32,
}

impl Node for Fixture {
    type Message = ();
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.arm(ctx);
    }
    fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: ()) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _: TimerId, _: ()) {
        self.arm(ctx);
    }
    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        if self.panic_one_in > 0 && ctx.rng().random_ratio(1, self.panic_one_in) {
            let v: Vec<u32> = Vec::new();
            // The bug: an index that is out of range on a rare path.
            let _ = v[req.id.0 as usize];
        }
        let (response, new) = apply_op(&self.value, &req);
        if let Some(new) = new {
            self.value = new;
        }
        ctx.respond(req.id, response);
    }
}

impl Fixture {
    /// A heartbeat whose delay comes from the seeded RNG, or, with the
    /// mistake switched on, from the thread RNG.
    fn arm(&mut self, ctx: &mut Ctx<'_, Self>) {
        let ms = if self.thread_rng {
            rand::rng().random_range(5..50)
        } else {
            ctx.rng().random_range(5..50)
        };
        ctx.set_timer(Duration::from_millis(ms), ());
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    thread_rng: bool,
    #[serde(default)]
    panic_one_in: u32,
}

struct FixtureModel(Settings);

impl ClusterModel for FixtureModel {
    type Node = Fixture;
    fn name(&self) -> &str {
        "fixture"
    }
    fn build(&self, _: &NodeInit<'_>) -> Fixture {
        Fixture {
            value: Value::Nil,
            thread_rng: self.0.thread_rng,
            panic_one_in: self.0.panic_one_in,
        }
    }
}

fn registry() -> Registry {
    let mut r = Registry::builtin();
    r.register("fixture", "a register with mistakes", FixtureModel);
    r
}

fn scenario(name: &str, expect: &str, settings: &str, seeds: u64) -> Scenario {
    let dir = std::env::temp_dir().join(format!("shakedown-findings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "expect = \"{expect}\"\nseeds = {seeds}\n[cluster]\nmodel = \"fixture\"\nnodes = 1\n\
             [cluster.settings]\n{settings}\n[workload]\nclients = 2\nops = 40\n\
             [checker]\nmodel = \"cas-register\"\n"
        ),
    )
    .unwrap();
    Scenario::load(&path, &registry()).unwrap_or_else(|e| panic!("{e}"))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "shakedown-findings-out-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn options(out: &Path) -> SweepOptions {
    SweepOptions {
        out_dir: out.to_owned(),
        progress: runner::Progress::Quiet,
        ..SweepOptions::default()
    }
}

#[test]
fn a_thread_rng_is_nondeterministic_on_the_first_seed() {
    let s = scenario("thread-rng", "valid", "thread_rng = true", 20);
    let out = out_dir("thread-rng");
    let sweep = runner::sweep(&s, &registry(), &options(&out)).unwrap();
    assert_eq!(sweep.status(), Status::Contradicted);
    // The first seed is checked, and the sweep stops there.
    assert_eq!(sweep.runs.len(), 1, "{}", sweep.summary());
    let run = &sweep.runs[0];
    assert_eq!(run.outcome(), RunOutcome::Nondeterministic);
    let Some(Finding::Nondeterministic(d)) = &run.finding else {
        panic!("{:?}", run.finding)
    };
    // The first diverging step is the first timer set, with its two delays.
    let (a, b) = (d.first.as_ref().unwrap(), d.second.as_ref().unwrap());
    assert!(a.what.starts_with("n0 sets timer"), "{d}");
    assert!(b.what.starts_with("n0 sets timer"), "{d}");
    assert_ne!(a.what, b.what);
    let summary = sweep.summary();
    assert!(summary.contains("nondeterministic"), "{summary}");
    assert!(
        summary.contains("thread_rng"),
        "the usual causes: {summary}"
    );
    // The run directory says so too.
    let finding = std::fs::read_to_string(run.dir.as_ref().unwrap().join("finding.txt")).unwrap();
    assert!(finding.starts_with("nondeterministic: "), "{finding}");

    // The same model with the seeded RNG is deterministic.
    let s = scenario("seeded-rng", "valid", "thread_rng = false", 3);
    let mut o = options(&out_dir("seeded"));
    o.determinism = runner::DeterminismCheck::All;
    let sweep = runner::sweep(&s, &registry(), &o).unwrap();
    assert_eq!(sweep.status(), Status::Met, "{}", sweep.summary());
    assert!(sweep.runs.iter().all(|r| r.finding.is_none()));
}

#[test]
fn a_panic_is_crashed_and_stops_the_sweep() {
    let s = scenario("panics", "valid", "panic_one_in = 150", 40);
    let out = out_dir("panics");
    let sweep = runner::sweep(&s, &registry(), &options(&out)).unwrap();
    assert_eq!(sweep.status(), Status::Contradicted, "{}", sweep.summary());
    let last = sweep.runs.last().unwrap();
    assert_eq!(last.outcome(), RunOutcome::Crashed, "{}", sweep.summary());
    // Every seed before it ran and was valid; none after it is reported.
    assert!(sweep.runs[..sweep.runs.len() - 1]
        .iter()
        .all(|r| r.outcome() == RunOutcome::Valid));
    let Some(Finding::Crashed(p)) = &last.finding else {
        panic!("{:?}", last.finding)
    };
    assert_eq!(p.node, NodeId(0));
    assert_eq!(p.during, "on_request");
    assert!(p.message.contains("index out of bounds"), "{p}");
    assert!(
        p.location.as_deref().unwrap_or("").contains("findings.rs"),
        "{p}"
    );
    let dir = last
        .dir
        .as_ref()
        .expect("a crashed run gets a run directory");
    let finding = std::fs::read_to_string(dir.join("finding.txt")).unwrap();
    assert!(finding.starts_with("crashed: n0 panicked at "), "{finding}");
    assert!(finding.contains("backtrace:"), "{finding}");
    assert!(dir.join("history.edn").exists());
    let results = std::fs::read_to_string(dir.join("results.json")).unwrap();
    assert!(results.contains("\"valid\": false"), "{results}");

    // Replaying that seed (twice, compared) crashes the same way, at the
    // same moment.
    let again = runner::run_seed(&s, &registry(), last.seed, None, true).unwrap();
    let Some(Finding::Crashed(q)) = &again.summary.finding else {
        panic!("{:?}", again.summary.finding)
    };
    let facts = |p: &shakedown_sim::NodePanic| {
        (
            p.node,
            p.at_ns,
            p.during.clone(),
            p.message.clone(),
            p.location.clone(),
        )
    };
    assert_eq!(facts(q), facts(p));

    // A crash is the bug an `expect = "invalid"` sweep looks for.
    let s = scenario("panics-expected", "invalid", "panic_one_in = 150", 40);
    let sweep = runner::sweep(&s, &registry(), &options(&out_dir("panics-expected"))).unwrap();
    assert_eq!(sweep.status(), Status::Met, "{}", sweep.summary());
}
