//! Sequential consistency for the register and kv models: real-time order
//! is dropped, each process's own order is kept (what ZooKeeper promises).

use crate::history::Op;
use crate::model::{Model, ModelError, ValueFlow};
use crate::models::{Kv, KvOp};
use crate::value::Value;

/// A register model (`register`, `cas-register`) checked for sequential
/// consistency instead of linearizability: `sequential-register`,
/// `sequential-cas-register`.
#[derive(Debug, Clone)]
pub struct Sequential<M> {
    inner: M,
    name: String,
}

impl<M: Model> Sequential<M> {
    /// `inner`, checked for sequential consistency.
    pub fn new(inner: M) -> Self {
        let name = format!("sequential-{}", inner.name());
        Sequential { inner, name }
    }
}

impl<M: Model> Model for Sequential<M> {
    type State = M::State;
    type Op = M::Op;

    fn name(&self) -> &str {
        &self.name
    }
    fn init(&self) -> M::State {
        self.inner.init()
    }
    fn prepare(&self, op: &Op) -> Result<Option<M::Op>, ModelError> {
        self.inner.prepare(op)
    }
    fn step(&self, state: &M::State, op: &M::Op) -> Option<M::State> {
        self.inner.step(state, op)
    }
    fn describe_state(&self, state: &M::State) -> String {
        self.inner.describe_state(state)
    }
    fn explain_step(&self, state: &M::State, op: &M::Op) -> String {
        self.inner.explain_step(state, op)
    }
    fn value_flow<'a>(&self, op: &'a M::Op) -> ValueFlow<'a> {
        self.inner.value_flow(op)
    }
    fn state_heap_bytes(&self, state: &M::State) -> usize {
        self.inner.state_heap_bytes(state)
    }
    fn sequential(&self) -> bool {
        true
    }
}

/// `sequential-kv`: the `kv` model checked for sequential consistency.
/// Sequential consistency does not compose key by key (each key can be
/// sequentially consistent while the store is not), so the whole store is
/// one state: the keys written so far and their values.
#[derive(Debug, Clone)]
pub struct SequentialKv {
    kv: Kv,
}

impl SequentialKv {
    /// A store whose keys start as `initial` says (as for [`Kv`]).
    pub fn new(initial: Value) -> Self {
        SequentialKv {
            kv: Kv::new(initial),
        }
    }

    fn get<'a>(&self, state: &'a [(Value, Value)], key: &Value) -> std::borrow::Cow<'a, Value> {
        match state.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(i) => std::borrow::Cow::Borrowed(&state[i].1),
            Err(_) => std::borrow::Cow::Owned(self.kv.init_part(Some(key))),
        }
    }
}

impl Model for SequentialKv {
    type State = Vec<(Value, Value)>;
    type Op = (Value, KvOp);

    fn name(&self) -> &str {
        "sequential-kv"
    }
    fn init(&self) -> Self::State {
        Vec::new()
    }
    fn prepare(&self, op: &Op) -> Result<Option<(Value, KvOp)>, ModelError> {
        let key = op.key.clone().unwrap_or(Value::Nil);
        Ok(self.kv.prepare(op)?.map(|p| (key, p)))
    }
    fn step(&self, state: &Self::State, (key, op): &(Value, KvOp)) -> Option<Self::State> {
        let current = self.get(state, key);
        let next = self.kv.step(&current, op)?;
        if next == *current {
            return Some(state.clone());
        }
        let mut state = state.clone();
        match state.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(i) => state[i].1 = next,
            Err(i) => state.insert(i, (key.clone(), next)),
        }
        Some(state)
    }
    fn describe_state(&self, state: &Self::State) -> String {
        Value::Map(state.clone()).to_string()
    }
    fn explain_step(&self, state: &Self::State, (key, op): &(Value, KvOp)) -> String {
        format!(
            "on key {key}, {}",
            self.kv.explain_step(&self.get(state, key), op)
        )
    }
    fn value_flow<'a>(&self, (_, op): &'a (Value, KvOp)) -> ValueFlow<'a> {
        // Values of different keys are not told apart here: coarser, still sound.
        self.kv.value_flow(op)
    }
    fn state_heap_bytes(&self, state: &Self::State) -> usize {
        crate::value::alloc_bytes_n(state.capacity() * std::mem::size_of::<(Value, Value)>())
            + state
                .iter()
                .map(|(k, v)| k.heap_bytes() + v.heap_bytes())
                .sum::<usize>()
    }
    fn sequential(&self) -> bool {
        true
    }
}
