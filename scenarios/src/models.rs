//! The model registry: cluster models by name, so that a scenario file can
//! say `model = "raft-kv"` and the runner can build and run it.
//!
//! A model is registered with a settings type (serde, read from the
//! scenario's `[cluster.settings]` table; use `deny_unknown_fields`) and a
//! function that builds the [`ClusterModel`] from it. Everything behind
//! [`ClusterRunner`] is type-erased, so one registry holds models with
//! different node and message types.
//!
//! ```
//! use serde::Deserialize;
//! use shakedown::models::Registry;
//! use shakedown_sim::models::RegisterModel;
//!
//! #[derive(Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Settings { #[serde(default)] lose_writes: bool }
//!
//! let mut registry = Registry::builtin();
//! registry.register("my-register", "a register that may lose writes", |s: Settings| {
//!     RegisterModel { sync_writes: !s.lose_writes }
//! });
//! assert!(registry.get("my-register").is_some());
//! ```

mod probe;

pub use probe::{settings_of, SettingInfo};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use shakedown_nemesis::{ModelFaultInfo, ModelParamInfo};
use shakedown_sim::{ClusterModel, ModelFaultSpec, RunRecord, ServiceModel, SimConfig, SimError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a model exposes to scenario validation: its faults and roles.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelInfo {
    /// The model faults it accepts.
    pub faults: Vec<ModelFaultInfo>,
    /// The roles its nodes may claim (`leader`, ...).
    pub roles: Vec<String>,
    /// Faults of the vocabulary that cannot act on this model, each with
    /// the reason (async services cannot duplicate packets). A scenario
    /// that schedules one is refused.
    pub unsupported_faults: Vec<(String, String)>,
    /// The fault points its nodes mark, with what each moment is.
    pub points: Vec<(String, String)>,
}

/// A cluster model behind a settings table: the type-erased form the
/// registry holds.
pub trait ClusterRunner: Send + Sync {
    /// The name scenario files use.
    fn name(&self) -> &str;
    /// One line on what the model is.
    fn description(&self) -> &str;
    /// Reads the settings and checks them against the cluster size
    /// ([`ClusterModel::validate`]). The error says what to change.
    fn inspect(&self, settings: &toml::Table, nodes: usize) -> Result<ModelInfo, String>;
    /// Whether the model is an async service (it runs on turmoil only).
    fn is_service(&self) -> bool {
        false
    }
    /// Builds the model from its settings and runs it once, on the engine
    /// `config.engine` names.
    fn run(&self, settings: &toml::Table, config: &SimConfig) -> Result<RunRecord, RunError>;
    /// The keys its `[cluster.settings]` takes (none known by default).
    fn settings(&self) -> Vec<SettingInfo> {
        Vec::new()
    }
}

/// Why a run could not produce a record.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The settings table does not fit the model.
    #[error("model settings: {0}")]
    Settings(String),
    /// The simulator refused the configuration or failed during the run.
    #[error(transparent)]
    Sim(#[from] SimError),
}

/// A model registered with its settings type `S` and builder; `K` says how
/// it runs ([`Callback`] or [`Service`]).
struct Entry<S, M, F, K> {
    name: String,
    description: String,
    build: F,
    _types: std::marker::PhantomData<fn(S, K) -> M>,
}

/// [`Entry`] marker: a callback model ([`ClusterModel`]).
struct Callback;
/// [`Entry`] marker: an async service ([`ServiceModel`]).
struct Service;

impl<S, M, F, K> Entry<S, M, F, K>
where
    S: DeserializeOwned,
    F: Fn(S) -> M + Send + Sync,
{
    fn new(name: String, description: String, build: F) -> Self {
        Entry {
            name,
            description,
            build,
            _types: std::marker::PhantomData,
        }
    }

    fn model(&self, settings: &toml::Table) -> Result<M, String> {
        let s: S = toml::Value::Table(settings.clone())
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned())?;
        Ok((self.build)(s))
    }
}

impl<S, M, F> ClusterRunner for Entry<S, M, F, Callback>
where
    S: DeserializeOwned,
    M: ClusterModel,
    F: Fn(S) -> M + Send + Sync,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn inspect(&self, settings: &toml::Table, nodes: usize) -> Result<ModelInfo, String> {
        let model = self.model(settings)?;
        model.validate(nodes)?;
        Ok(ModelInfo {
            faults: model.faults().iter().map(fault_info).collect(),
            roles: model.roles(),
            unsupported_faults: Vec::new(),
            points: model
                .fault_points()
                .into_iter()
                .map(|p| (p.name, p.description))
                .collect(),
        })
    }

    fn run(&self, settings: &toml::Table, config: &SimConfig) -> Result<RunRecord, RunError> {
        let model = self.model(settings).map_err(RunError::Settings)?;
        model.validate(config.nodes).map_err(RunError::Settings)?;
        Ok(shakedown_sim::run(config, model)?)
    }

    fn settings(&self) -> Vec<SettingInfo> {
        settings_of::<S>()
    }
}

impl<S, M, F> ClusterRunner for Entry<S, M, F, Service>
where
    S: DeserializeOwned,
    M: ServiceModel,
    F: Fn(S) -> M + Send + Sync,
{
    fn is_service(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn inspect(&self, settings: &toml::Table, nodes: usize) -> Result<ModelInfo, String> {
        let model = self.model(settings)?;
        model.validate(nodes)?;
        Ok(ModelInfo {
            faults: Vec::new(),
            roles: model.roles(),
            unsupported_faults: shakedown_sim::service::UNSUPPORTED_FAULTS
                .iter()
                .map(|(f, why)| ((*f).to_owned(), (*why).to_owned()))
                .collect(),
            points: Vec::new(),
        })
    }

    fn run(&self, settings: &toml::Table, config: &SimConfig) -> Result<RunRecord, RunError> {
        let model = self.model(settings).map_err(RunError::Settings)?;
        model.validate(config.nodes).map_err(RunError::Settings)?;
        Ok(shakedown_sim::run_service(config, model)?)
    }

    fn settings(&self) -> Vec<SettingInfo> {
        settings_of::<S>()
    }
}

/// A model fault as the nemesis validates it.
pub fn fault_info(spec: &ModelFaultSpec) -> ModelFaultInfo {
    ModelFaultInfo {
        name: spec.name.clone(),
        description: spec.description.clone(),
        params: spec
            .params
            .iter()
            .map(|p| ModelParamInfo {
                name: p.name.clone(),
                kind: p
                    .default
                    .as_ref()
                    .map(|v| value_kind(v).to_owned())
                    .unwrap_or_else(|| "value".to_owned()),
                default: p.default.as_ref().map(|v| v.to_string()),
                description: p.description.clone(),
            })
            .collect(),
    }
}

fn value_kind(v: &shakedown_checkers::Value) -> &'static str {
    use shakedown_checkers::Value;
    match v {
        Value::Int(_) => "integer",
        Value::Str(_) => "string",
        Value::Bool(_) => "boolean",
        _ => "value",
    }
}

/// Cluster models by name, and the command that runs the CLI over them
/// (for the replay and shrink lines Shakedown prints).
#[derive(Clone)]
pub struct Registry {
    models: BTreeMap<String, Arc<dyn ClusterRunner>>,
    defaults: BTreeMap<String, toml::Table>,
    knobs: BTreeMap<String, Vec<Knob>>,
    command: String,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            models: BTreeMap::new(),
            defaults: BTreeMap::new(),
            knobs: BTreeMap::new(),
            command: "shakedown".to_owned(),
        }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.models.keys()).finish()
    }
}

impl Registry {
    /// A registry with no models.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// The models built into the library: the simulator's tiny `register`
    /// and `primary-backup`. The example crates (`raft-kv`, `dynamo`) are
    /// registered by the `shakedown` binary, the way a user's crate registers
    /// its own models.
    pub fn builtin() -> Self {
        let mut r = Registry::empty();
        r.register(
            "register",
            "one register per node, synced before each acknowledgement (model fault: no-sync)",
            |s: RegisterSettings| shakedown_sim::models::RegisterModel {
                sync_writes: s.sync_writes,
            },
        );
        r.register(
            "primary-backup",
            "node 0 orders every write and replicates to backups; no failover (model fault: stop-replication)",
            |s: PrimaryBackupSettings| shakedown_sim::models::PrimaryBackupModel {
                retransmit_ms: s.retransmit_ms,
            },
        );
        r.set_defaults("register", RegisterSettings { sync_writes: yes() });
        r.declare_knobs("primary-backup", &[("retransmit_ms", 1, 100)]);
        r.set_defaults(
            "primary-backup",
            PrimaryBackupSettings {
                retransmit_ms: twenty(),
            },
        );
        r
    }

    /// The command that runs the CLI over these models, as printed in
    /// replay and shrink lines: `shakedown` unless set. `shakedown::cli::main_with`
    /// sets it to the program as invoked; a user's tests can set it to
    /// their binary (`cargo run --bin my-system --`).
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Sets [`Registry::command`].
    pub fn set_command(&mut self, command: impl Into<String>) -> &mut Self {
        self.command = command.into();
        self
    }

    /// Registers a model under `name` (replacing one of that name): its
    /// settings type `S` is read from `[cluster.settings]`, `build` makes
    /// the model from it.
    pub fn register<S, M, F>(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        build: F,
    ) -> &mut Self
    where
        S: DeserializeOwned + 'static,
        M: ClusterModel,
        F: Fn(S) -> M + Send + Sync + 'static,
    {
        let name = name.into();
        let entry: Entry<S, M, F, Callback> = Entry::new(name.clone(), description.into(), build);
        self.models.insert(name, Arc::new(entry));
        self
    }

    /// Registers an async service (a [`ServiceModel`]: the user's tokio
    /// code plus a client adapter) under `name`, the way [`Registry::register`]
    /// registers a callback model: scenario files, the runner, checkers,
    /// reports, replay, shrink and the determinism check work the same.
    pub fn register_service<S, M, F>(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        build: F,
    ) -> &mut Self
    where
        S: DeserializeOwned + 'static,
        M: ServiceModel,
        F: Fn(S) -> M + Send + Sync + 'static,
    {
        let name = name.into();
        let entry: Entry<S, M, F, Service> = Entry::new(name.clone(), description.into(), build);
        self.models.insert(name, Arc::new(entry));
        self
    }

    /// Tells `shakedown list models` the default settings of the model
    /// called `name`, e.g. `registry.set_defaults("my-kv", MySettings::default())`
    /// for a settings type that is `Serialize + Default`. Optional: without
    /// it the list shows each key's kind and whether it is required.
    pub fn set_defaults(&mut self, name: &str, defaults: impl serde::Serialize) -> &mut Self {
        if let Ok(table) = toml::Table::try_from(defaults) {
            self.defaults.insert(name.to_owned(), table);
        }
        self
    }

    /// The settings of the model called `name`: its keys, kinds, whether
    /// each is required, and defaults where [`Registry::set_defaults`] gave
    /// them.
    pub fn settings(&self, name: &str) -> Vec<SettingInfo> {
        let Some(model) = self.models.get(name) else {
            return Vec::new();
        };
        let defaults = self.defaults.get(name);
        model
            .settings()
            .into_iter()
            .map(|mut s| {
                if let Some(default) = defaults.and_then(|d| d.get(&s.name)) {
                    // A value says its kind better than an error message
                    // (an enum written as a string reads as "table" there).
                    s.kind = match default {
                        toml::Value::String(_) => "string".to_owned(),
                        toml::Value::Integer(_) => "integer".to_owned(),
                        toml::Value::Float(_) => "float".to_owned(),
                        toml::Value::Boolean(_) => "boolean".to_owned(),
                        toml::Value::Datetime(_) => "datetime".to_owned(),
                        toml::Value::Array(a) if s.kind.starts_with("array") => {
                            format!("array of {}", a.len())
                        }
                        toml::Value::Array(_) => "array".to_owned(),
                        toml::Value::Table(_) => "table".to_owned(),
                    };
                    s.default = Some(default.to_string());
                }
                s
            })
            .collect()
    }

    /// Declares the knobs of the model called `name`: integer settings the
    /// seed may vary within a range (batch sizes, entries per append,
    /// timeouts), so that a sweep meets the interleavings that only some
    /// values produce. A scenario opts in with `[cluster] knobs = true`.
    /// Every value of each range must be one the model accepts with its
    /// other settings at their defaults.
    pub fn declare_knobs(&mut self, name: &str, knobs: &[(&str, i64, i64)]) -> &mut Self {
        let knobs = knobs
            .iter()
            .map(|(k, min, max)| Knob {
                name: (*k).to_owned(),
                min: *min.min(max),
                max: *max.max(min),
            })
            .collect();
        self.knobs.insert(name.to_owned(), knobs);
        self
    }

    /// The knobs the model called `name` declares.
    pub fn knobs(&self, name: &str) -> &[Knob] {
        self.knobs.get(name).map_or(&[], Vec::as_slice)
    }

    /// The model called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn ClusterRunner>> {
        self.models.get(name).cloned()
    }

    /// Every name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// Every model, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn ClusterRunner>> {
        self.models.values()
    }
}

/// A setting the seed may vary: an integer key of `[cluster.settings]`
/// and its range, both ends included.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Knob {
    /// The settings key.
    pub name: String,
    /// The least value.
    pub min: i64,
    /// The greatest value.
    pub max: i64,
}

/// Settings of the built-in `register` model.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct RegisterSettings {
    /// Sync before acknowledging a write (default true).
    #[serde(default = "yes")]
    sync_writes: bool,
}

/// Settings of the built-in `primary-backup` model.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct PrimaryBackupSettings {
    /// How often the primary resends unacknowledged writes (default 20).
    #[serde(default = "twenty")]
    retransmit_ms: u64,
}

fn yes() -> bool {
    true
}
fn twenty() -> u64 {
    20
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_models_read_their_settings() {
        let r = Registry::builtin();
        let reg = r.get("register").unwrap();
        assert!(reg.inspect(&toml::Table::new(), 1).is_ok());
        let mut bad = toml::Table::new();
        bad.insert("sync_write".into(), toml::Value::Boolean(false));
        let err = reg.inspect(&bad, 1).unwrap_err();
        assert!(err.contains("unknown field `sync_write`"), "{err}");
        let pb = r.get("primary-backup").unwrap();
        let mut zero = toml::Table::new();
        zero.insert("retransmit_ms".into(), toml::Value::Integer(0));
        assert!(pb.inspect(&zero, 3).unwrap_err().contains("retransmit_ms"));
        let info = pb.inspect(&toml::Table::new(), 3).unwrap();
        assert_eq!(info.faults[0].name, "stop-replication");
    }

    #[test]
    fn settings_list_keys_kinds_and_registered_defaults() {
        let r = Registry::builtin();
        let s = r.settings("primary-backup");
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].name.as_str(), s[0].kind.as_str(), s[0].required),
            ("retransmit_ms", "integer", false)
        );
        assert_eq!(s[0].default.as_deref(), Some("20"));
        assert!(r.settings("no-such-model").is_empty());
    }
}
