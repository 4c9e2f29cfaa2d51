//! Fault points: a crash at a point lands exactly there, on both engines.

use shakedown_sim::node::*;
use shakedown_sim::{DiscreteCluster, PointAction, PointPlan, SimConfig, TurmoilCluster};
use std::time::Duration;

/// n0 persists a vote on a timer, marks the point, then tells n1.
struct Voter;

struct VoterNode;

impl Node for VoterNode {
    type Message = u8;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if ctx.id() == NodeId(0) {
            ctx.set_timer(Duration::from_millis(10), ());
        }
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: u8) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _: TimerId, _: ()) {
        ctx.storage().put("vote", b"n0".to_vec());
        ctx.storage().sync();
        ctx.storage().put("unsynced", b"x".to_vec());
        ctx.fault_point("vote-persisted");
        ctx.send(NodeId(1), 1);
    }

    fn on_request(&mut self, _: &mut Ctx<'_, Self>, _: ClientRequest) {}
}

impl ClusterModel for Voter {
    type Node = VoterNode;

    fn name(&self) -> &str {
        "voter"
    }

    fn build(&self, _: &NodeInit<'_>) -> VoterNode {
        VoterNode
    }

    fn fault_points(&self) -> Vec<FaultPointSpec> {
        vec![FaultPointSpec::new("vote-persisted", "the vote is synced")]
    }
}

fn config(points: bool) -> SimConfig {
    SimConfig {
        nodes: 2,
        clients: 0,
        duration_ms: 5_000,
        points: points.then(|| PointPlan {
            points: vec!["vote-persisted".into()],
            probability: 1.0,
            actions: vec![PointAction::Crash],
            down_ms: (1_000, 1_000),
            max_fires: 1,
            from_ms: 0,
            until_ms: 5_000,
        }),
        ..SimConfig::default()
    }
}

macro_rules! lands_at_its_moment {
    ($name:ident, $cluster:ty) => {
        #[test]
        fn $name() {
            // Without the point armed, the message goes out.
            let mut c = <$cluster>::new(&config(false), Voter).unwrap();
            c.run_for(Duration::from_millis(100)).unwrap();
            assert_eq!(c.counters()[1].delivered, 1);

            let mut c = <$cluster>::new(&config(true), Voter).unwrap();
            c.run_for(Duration::from_millis(100)).unwrap();
            // After the write: the synced vote survived the crash, the
            // unsynced write did not.
            let storage = c.storage(NodeId(0)).unwrap();
            assert_eq!(storage.get("vote"), Some(&b"n0"[..]));
            assert_eq!(storage.get("unsynced"), None);
            // Before the next message: nothing was sent.
            assert_eq!(c.counters()[0].sent, 0);
            assert_eq!(c.counters()[1].delivered, 0);
            let log: Vec<String> = c.nemesis_log().iter().map(|e| format!("{e:?}")).collect();
            assert!(log.iter().any(|e| e.contains("vote-persisted")), "{log:?}");
            // It restarts after its down time and, the point spent, votes
            // and sends this time.
            c.run_for(Duration::from_millis(1_200)).unwrap();
            assert_eq!(c.counters()[1].delivered, 1);
        }
    };
}

lands_at_its_moment!(
    a_crash_at_a_point_lands_after_the_write_and_before_the_message_discrete,
    DiscreteCluster<Voter>
);
lands_at_its_moment!(
    a_crash_at_a_point_lands_after_the_write_and_before_the_message_turmoil,
    TurmoilCluster<Voter>
);
#[cfg(madsim)]
lands_at_its_moment!(
    a_crash_at_a_point_lands_after_the_write_and_before_the_message_madsim,
    shakedown_sim::engine::MadsimCluster<Voter>
);
