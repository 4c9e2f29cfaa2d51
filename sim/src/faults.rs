//! Driving faults, engine-neutral: explicit [`ControlOp`]s at fixed times
//! and the nemesis schedule resolved with the seed, applied through any
//! [`Control`] and logged the same way (a `:nemesis` `info` event in the
//! history and a [`NemesisEntry`]) whatever the engine.

use crate::config::{ControlOp, SimConfig, SimError, TimedOp};
use crate::control::{Applied, Control, ControlError};
use crate::engine::{latency_from_nemesis, param_to_value};
use crate::node::{ModelFault, ModelFaultSpec, NodeId};
use crate::record::NemesisEntry;
use crate::world::sub_seed;
use shakedown_checkers::{Event, EventType, Process, Value};
use shakedown_nemesis::{Action, Nemesis, Phase, SimDuration, Step};
use std::collections::BTreeSet;

/// The faults of one run still to apply, and the log of those applied.
#[derive(Default)]
pub(crate) struct FaultDriver {
    ops: Vec<TimedOp>,
    next_op: usize,
    nemesis: Option<Nemesis>,
    /// What was applied, in order.
    pub(crate) log: Vec<NemesisEntry>,
}

impl FaultDriver {
    pub(crate) fn new(config: &SimConfig) -> Self {
        let mut ops = config.ops.clone();
        ops.sort_by_key(|t| t.at_ms); // stable: equal times keep list order
        FaultDriver {
            ops,
            next_op: 0,
            nemesis: config
                .nemesis
                .as_ref()
                .map(|s| Nemesis::new(s, config.nodes, sub_seed(config.seed, "nemesis"))),
            log: Vec::new(),
        }
    }

    /// True once no explicit op and no nemesis step remains.
    pub(crate) fn is_done(&self) -> bool {
        self.next_op >= self.ops.len()
            && self.nemesis.as_ref().is_none_or(|n| n.next_due().is_none())
    }

    /// A fault point fired at `now` ([`crate::points`]): the node is
    /// already frozen at the point; a crash is applied at once and undone
    /// (restart) after the down time, a pause is undone (resume) after it.
    /// Returns the history event that records the firing.
    pub(crate) fn point_fired(&mut self, now: i64, fire: &crate::points::PointFire) -> Event {
        use crate::points::PointAction;
        let now_ms = u64::try_from(now.max(0) / 1_000_000).unwrap_or(0);
        let back_ms = u64::try_from(now.saturating_add(fire.down_ns).max(0))
            .unwrap_or(u64::MAX)
            .div_ceil(1_000_000);
        let (f, undo) = match fire.action {
            PointAction::Crash => {
                self.insert(TimedOp {
                    at_ms: now_ms,
                    op: ControlOp::Crash(fire.node),
                });
                ("crash", ControlOp::Restart(fire.node))
            }
            PointAction::Pause => ("pause", ControlOp::Resume(fire.node)),
        };
        self.insert(TimedOp {
            at_ms: back_ms,
            op: undo,
        });
        let detail = format!(
            "{} reached fault point `{}`: {f} for {} ms",
            fire.node,
            fire.point,
            fire.down_ns / 1_000_000
        );
        self.log(
            now,
            "fault-point",
            None,
            &[fire.node],
            detail,
            "ok".to_owned(),
        )
    }

    /// Adds an op after the ops already applied, in time order (after
    /// those due at the same millisecond).
    fn insert(&mut self, op: TimedOp) {
        let at = self.next_op + self.ops[self.next_op..].partition_point(|t| t.at_ms <= op.at_ms);
        self.ops.insert(at, op);
    }

    /// When the next explicit op or nemesis step is due, ns.
    pub(crate) fn next_due_ns(&self) -> Option<i64> {
        let op = self
            .ops
            .get(self.next_op)
            .map(|t| (t.at_ms as i64).saturating_mul(1_000_000));
        let step = self
            .nemesis
            .as_ref()
            .and_then(|n| n.next_due())
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        match (op, step) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Applies every explicit op and nemesis step due at `now` to
    /// `cluster`; returns the history events that record them, in order.
    /// `known_roles` (the roles the model declares) is asked for only when
    /// a nemesis step is due.
    pub(crate) fn apply_due<C: Control>(
        &mut self,
        cluster: &mut C,
        now: i64,
        known_roles: impl FnOnce() -> BTreeSet<String>,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(t) = self.ops.get(self.next_op) {
            if (t.at_ms as i64).saturating_mul(1_000_000) > now {
                break;
            }
            let op = t.op.clone();
            self.next_op += 1;
            let result = apply_control_op(cluster, &op);
            let (f, phase) = match &op {
                ControlOp::Partition(_)
                | ControlOp::PartitionGroups(_)
                | ControlOp::PartitionOneWay { .. } => ("partition", Some("start")),
                ControlOp::Heal => ("partition", Some("stop")),
                ControlOp::Crash(_) => ("crash", Some("start")),
                ControlOp::Restart(_) => ("crash", Some("stop")),
                ControlOp::Pause(_) => ("pause", Some("start")),
                ControlOp::Resume(_) => ("pause", Some("stop")),
                ControlOp::ModelFault { fault, .. } => (fault.name.as_str(), Some("start")),
                ControlOp::ModelFaultStop { name, .. } => (name.as_str(), Some("stop")),
                other => (other.name(), None),
            };
            let outcome = outcome_text(&result);
            events.push(self.log(now, f, phase, &op.nodes(), op.describe(), outcome));
        }
        let due = self
            .nemesis
            .as_ref()
            .and_then(|n| n.next_due())
            .is_some_and(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX) <= now);
        if due {
            let roles = cluster.roles();
            let known = known_roles();
            let lookup = move |role: &str| -> Option<Vec<usize>> {
                match roles.get(role) {
                    Some(nodes) => Some(nodes.iter().map(|n| n.index()).collect()),
                    None if known.contains(role) => Some(Vec::new()),
                    None => None,
                }
            };
            let at = SimDuration::from_nanos(now.max(0) as u64);
            let steps = self
                .nemesis
                .as_mut()
                .map(|n| n.poll(at, &lookup))
                .unwrap_or_default();
            for step in steps {
                let (nodes, detail, outcome) = apply_step(cluster, &step);
                let phase = match step.phase {
                    Phase::Start => "start",
                    Phase::Flip => "flip",
                    Phase::Stop => "stop",
                };
                let f = step.fault.name().to_owned();
                events.push(self.log(now, &f, Some(phase), &nodes, detail, outcome));
            }
        }
        events
    }

    fn log(
        &mut self,
        now: i64,
        f: &str,
        phase: Option<&str>,
        nodes: &[NodeId],
        detail: String,
        outcome: String,
    ) -> Event {
        let names: Vec<String> = nodes.iter().map(|n| n.name()).collect();
        tracing::info!(sim_ns = now, f, phase, nodes = %names.join(","), %detail, %outcome, "nemesis");
        let mut value = vec![(
            Value::keyword("nodes"),
            Value::Vector(nodes.iter().map(|n| Value::Int(i64::from(n.0))).collect()),
        )];
        if !detail.is_empty() {
            value.push((Value::keyword("detail"), Value::Str(detail.clone())));
        }
        if outcome != "ok" {
            value.push((Value::keyword("outcome"), Value::Str(outcome.clone())));
        }
        let mut event =
            Event::new(Process::nemesis(), EventType::Info, f, Value::Map(value)).at(now);
        if let Some(p) = phase {
            event
                .extra
                .push((Value::keyword("phase"), Value::keyword(p)));
        }
        self.log.push(NemesisEntry {
            time_ns: now,
            f: f.to_owned(),
            phase: phase.unwrap_or("apply").to_owned(),
            nodes: names,
            detail,
            outcome,
        });
        event
    }
}

/// Applies one control operation to any engine.
pub(crate) fn apply_control_op<C: Control + ?Sized>(
    c: &mut C,
    op: &ControlOp,
) -> Result<Applied, ControlError> {
    op.validate(c.node_count())?;
    match op {
        ControlOp::Partition(links) => c.partition(links),
        ControlOp::PartitionGroups(groups) => c.partition_groups(groups),
        ControlOp::PartitionOneWay { from, to } => c.partition_one_way(from, to),
        ControlOp::Heal => Ok(c.heal()),
        ControlOp::Crash(n) => c.crash(*n),
        ControlOp::Restart(n) => c.restart(*n),
        ControlOp::Pause(n) => c.pause(*n),
        ControlOp::Resume(n) => c.resume(*n),
        ControlOp::ClockSet { node, to } => c.clock_set(*node, *to),
        ControlOp::ClockBump { node, delta_ns } => c.clock_bump(*node, *delta_ns),
        ControlOp::ClockDrift { node, rate } => c.clock_drift(*node, *rate),
        ControlOp::ClockReset(n) => c.clock_reset(*n),
        ControlOp::UpdateLink { from, to, update } => c.update_link(*from, *to, update),
        ControlOp::UpdateNodeLinks { node, update } => c.update_node_links(*node, update),
        ControlOp::NetReset(n) => c.net_reset(*n),
        ControlOp::ModelFault { node, fault } => c.model_fault(*node, fault),
        ControlOp::ModelFaultStop { node, name } => c.model_fault_stop(*node, name),
    }
}

/// Applies one nemesis step; returns the nodes acted on, the detail and
/// the outcome, for the log.
fn apply_step<C: Control>(c: &mut C, step: &Step) -> (Vec<NodeId>, String, String) {
    let ids =
        |nodes: &[usize]| -> Vec<NodeId> { nodes.iter().map(|&n| NodeId::from_index(n)).collect() };
    let mut errors: Vec<String> = Vec::new();
    let mut note = |r: Result<Applied, ControlError>| {
        if let Err(e) = r {
            errors.push(e.to_string());
        }
    };
    let mut nodes: Vec<NodeId> = step.action.nodes().map(ids).unwrap_or_default();
    match &step.action {
        Action::Partition { cut } => {
            let links: Vec<(NodeId, NodeId)> = cut
                .links()
                .map(|(a, b)| (NodeId::from_index(a), NodeId::from_index(b)))
                .collect();
            let mut touched: BTreeSet<NodeId> = BTreeSet::new();
            for (a, b) in &links {
                touched.insert(*a);
                touched.insert(*b);
            }
            nodes = touched.into_iter().collect();
            note(c.partition(&links));
        }
        Action::Heal => {
            c.heal();
        }
        Action::Crash { nodes: ns } => ids(ns).into_iter().for_each(|n| note(c.crash(n))),
        Action::Restart { nodes: ns } => ids(ns).into_iter().for_each(|n| note(c.restart(n))),
        Action::Pause { nodes: ns } => ids(ns).into_iter().for_each(|n| note(c.pause(n))),
        Action::Resume { nodes: ns } => ids(ns).into_iter().for_each(|n| note(c.resume(n))),
        Action::ClockBump {
            nodes: ns,
            offset_ms,
        } => {
            let delta = offset_ms.saturating_mul(1_000_000);
            ids(ns)
                .into_iter()
                .for_each(|n| note(c.clock_bump(n, delta)))
        }
        Action::ClockDrift { nodes: ns, rate } => ids(ns)
            .into_iter()
            .for_each(|n| note(c.clock_drift(n, *rate))),
        Action::ClockReset { nodes: ns } => {
            ids(ns).into_iter().for_each(|n| note(c.clock_reset(n)))
        }
        Action::PacketLoss { nodes: ns, rate } => ids(ns)
            .into_iter()
            .for_each(|n| note(c.packet_loss(n, *rate))),
        Action::PacketDuplicate { nodes: ns, rate } => ids(ns)
            .into_iter()
            .for_each(|n| note(c.packet_duplicate(n, *rate))),
        Action::PacketDelay { nodes: ns, latency } => {
            let l = latency_from_nemesis(latency);
            ids(ns).into_iter().for_each(|n| note(c.packet_delay(n, l)))
        }
        Action::NetReset { nodes: ns } => ids(ns).into_iter().for_each(|n| note(c.net_reset(n))),
        Action::ModelStart {
            name,
            nodes: ns,
            params,
        } => {
            let fault = ModelFault {
                name: name.clone(),
                params: params
                    .iter()
                    .map(|(k, v)| (k.clone(), param_to_value(v)))
                    .collect(),
            };
            ids(ns)
                .into_iter()
                .for_each(|n| note(c.model_fault(n, &fault)))
        }
        Action::ModelStop { name, nodes: ns } => ids(ns)
            .into_iter()
            .for_each(|n| note(c.model_fault_stop(n, name))),
        Action::Skip { reason } => errors.push(format!("skipped: {reason}")),
    }
    let detail = serde_json::to_string(&step.action).unwrap_or_default();
    let outcome = if errors.is_empty() {
        "ok".to_owned()
    } else {
        errors.join("; ")
    };
    (nodes, detail, outcome)
}

fn outcome_text(r: &Result<Applied, ControlError>) -> String {
    match r {
        Ok(Applied::Changed) => "ok".into(),
        Ok(Applied::NoChange) => "no-change".into(),
        Err(e) => e.to_string(),
    }
}

/// Checks `config`'s nemesis schedule (if any) against the cluster size,
/// the model's roles and model faults, and the run length.
pub(crate) fn check_schedule(
    config: &SimConfig,
    roles: &[String],
    faults: &[ModelFaultSpec],
) -> Result<(), SimError> {
    let Some(schedule) = &config.nemesis else {
        return Ok(());
    };
    let faults: Vec<shakedown_nemesis::ModelFaultInfo> = faults
        .iter()
        .map(|f| shakedown_nemesis::ModelFaultInfo {
            name: f.name.clone(),
            description: f.description.clone(),
            params: f
                .params
                .iter()
                .map(|p| shakedown_nemesis::ModelParamInfo {
                    name: p.name.clone(),
                    kind: "value".into(),
                    default: p.default.as_ref().map(|v| v.to_string()),
                    description: p.description.clone(),
                })
                .collect(),
        })
        .collect();
    let ctx = shakedown_nemesis::validate::Context {
        node_count: config.nodes,
        roles: Some(roles),
        model_faults: Some(&faults),
        run_length: Some(SimDuration::from_millis(config.duration_ms)),
    };
    shakedown_nemesis::validate::check(schedule, &ctx)
        .map_err(|e| SimError::Config(format!("nemesis schedule: {e}")))
}
