//! Fault points from scenario files: a bug that needs a crash at one
//! precise moment (between acknowledging a write and syncing it) is found
//! by a general scenario with fault points, and never without them.

use serde::Deserialize;
use shakedown::models::Registry;
use shakedown::runner::{
    self, ArtifactsMode, DeterminismCheck, Progress, RunOutcome, SweepOptions,
};
use shakedown::scenario::Scenario;
use shakedown::seeds::SeedSet;
use shakedown_checkers::Value;
use shakedown_sim::models::apply_op;
use shakedown_sim::node::*;
use shakedown_sim::wire::WireValue;
use std::path::Path;

/// A one-register node that acknowledges a write before it syncs it: the
/// sync follows in the same callback, so a crash between two callbacks
/// never catches it, and a crash at the `acknowledged` point always does.
struct AckEarly;

struct AckEarlyNode {
    value: Value,
}

impl Node for AckEarlyNode {
    type Message = ();
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Ok(Some(w)) = ctx.storage().get_json::<WireValue>("v") {
            self.value = Value::from(w);
        }
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: ()) {}

    fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: TimerId, _: ()) {}

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        let (response, new) = apply_op(&self.value, &req);
        if let Some(new) = new {
            ctx.storage().put_json("v", &WireValue::from(&new)).unwrap();
            self.value = new;
            ctx.respond(req.id, response);
            ctx.fault_point("acknowledged");
            ctx.storage().sync();
        } else {
            ctx.respond(req.id, response);
        }
    }
}

impl ClusterModel for AckEarly {
    type Node = AckEarlyNode;

    fn name(&self) -> &str {
        "ack-early"
    }

    fn build(&self, _: &NodeInit<'_>) -> AckEarlyNode {
        AckEarlyNode { value: Value::Nil }
    }

    fn fault_points(&self) -> Vec<FaultPointSpec> {
        vec![FaultPointSpec::new(
            "acknowledged",
            "a write was acknowledged, not yet synced",
        )]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoSettings {}

fn registry() -> Registry {
    let mut r = Registry::builtin();
    r.register(
        "ack-early",
        "acknowledges writes before syncing them",
        |_: NoSettings| AckEarly,
    );
    r
}

/// A general scenario: generated crashes, pauses and partitions with
/// swarm testing; fault points only when asked.
fn scenario(points: bool) -> Scenario {
    let text = format!(
        r#"expect = "valid"

[cluster]
model = "ack-early"
nodes = 1

[workload]
clients = 3
mix = {{ read = 1, write = 1 }}
ops_per_s = 100.0
duration = "3s"
timeout = "200ms"

[faults.generate]
packages = ["kill", "pause", "partition"]
interval = "400ms"
swarm = true
{}"#,
        if points { "\n[faults.points]\n" } else { "" }
    );
    Scenario::parse(Path::new("ack-early.toml"), &text, &registry()).unwrap()
}

fn sweep(s: &Scenario) -> runner::Sweep {
    let options = SweepOptions {
        seeds: Some(SeedSet::Count(200)),
        artifacts: ArtifactsMode::None,
        progress: Progress::Quiet,
        determinism: DeterminismCheck::First(1),
        regressions: false,
        keep_going: true,
        ..SweepOptions::default()
    };
    runner::sweep(s, &registry(), &options).unwrap()
}

#[test]
fn a_crash_at_one_point_is_found_with_fault_points_and_never_without() {
    let without = sweep(&scenario(false));
    assert_eq!(without.runs.len(), 200);
    assert_eq!(
        without.count(RunOutcome::Valid),
        200,
        "{}",
        without.summary()
    );

    let with = sweep(&scenario(true));
    let first = with
        .runs
        .iter()
        .position(|r| r.outcome() == RunOutcome::Invalid)
        .unwrap_or_else(|| panic!("not found in 200 seeds: {}", with.summary()));
    assert!(first < 200);
    // Determinism held with the points on.
    assert_eq!(with.count(RunOutcome::Nondeterministic), 0);
    eprintln!(
        "found at seed index {first}; {} of 200 seeds invalid",
        with.count(RunOutcome::Invalid)
    );
}
