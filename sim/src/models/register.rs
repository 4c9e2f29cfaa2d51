//! A register (or key-value map) per node, synced before every acknowledgement.

use super::{apply_op, storage_key};
use crate::node::{
    ClientRequest, ClusterModel, Ctx, FaultPointSpec, ModelFault, ModelFaultSpec, Node, NodeId,
    NodeInit, ParamSpec, TimerId,
};
use crate::wire::WireValue;
use shakedown_checkers::Value;
use std::collections::BTreeMap;

/// A register model: each node serves its own registers.
#[derive(Debug, Clone)]
pub struct RegisterModel {
    /// Sync storage before acknowledging a write (true: crash-safe). The
    /// `no-sync` model fault turns syncing off for a while.
    pub sync_writes: bool,
}

impl Default for RegisterModel {
    fn default() -> Self {
        RegisterModel { sync_writes: true }
    }
}

/// One node of [`RegisterModel`].
#[derive(Debug)]
pub struct RegisterNode {
    values: BTreeMap<String, Value>,
    sync_writes: bool,
}

impl Node for RegisterNode {
    type Message = ();
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let mut loaded = BTreeMap::new();
        for (k, v) in ctx.storage().scan_prefix("kv/") {
            if let Ok(w) = serde_json::from_slice::<WireValue>(v) {
                loaded.insert(k.to_owned(), Value::from(w));
            }
        }
        self.values = loaded;
        ctx.gauge("keys", self.values.len() as f64);
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: ()) {}

    fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: TimerId, _: ()) {}

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        let key = storage_key(&req.key);
        let current = self.values.get(&key).cloned().unwrap_or(Value::Nil);
        let (response, new) = apply_op(&current, &req);
        if let Some(new) = new {
            if let Err(e) = ctx.storage().put_json(key.clone(), &WireValue::from(&new)) {
                ctx.respond(req.id, crate::ClientResponse::fail(e.to_string()));
                return;
            }
            if self.sync_writes {
                ctx.storage().sync();
            }
            ctx.fault_point("write-stored");
            self.values.insert(key, new);
            ctx.gauge("keys", self.values.len() as f64);
        }
        ctx.respond(req.id, response);
    }

    fn on_model_fault(&mut self, _: &mut Ctx<'_, Self>, fault: &ModelFault) -> Result<(), String> {
        match fault.name.as_str() {
            "no-sync" => {
                self.sync_writes = false;
                Ok(())
            }
            other => Err(format!("unknown fault `{other}`")),
        }
    }

    fn on_model_fault_stop(&mut self, ctx: &mut Ctx<'_, Self>, name: &str) -> Result<(), String> {
        match name {
            "no-sync" => {
                self.sync_writes = true;
                ctx.storage().sync();
                Ok(())
            }
            other => Err(format!("unknown fault `{other}`")),
        }
    }
}

impl ClusterModel for RegisterModel {
    type Node = RegisterNode;

    fn name(&self) -> &str {
        "register"
    }

    fn build(&self, _init: &NodeInit<'_>) -> RegisterNode {
        RegisterNode {
            values: BTreeMap::new(),
            sync_writes: self.sync_writes,
        }
    }

    fn fault_points(&self) -> Vec<FaultPointSpec> {
        vec![FaultPointSpec::new(
            "write-stored",
            "a write was stored (and synced, unless no-sync), before the node acknowledged it",
        )]
    }

    fn faults(&self) -> Vec<ModelFaultSpec> {
        vec![ModelFaultSpec {
            name: "no-sync".into(),
            description: "acknowledge writes without syncing them (a crash then loses them)".into(),
            params: Vec::<ParamSpec>::new(),
            undo: None,
        }]
    }
}
