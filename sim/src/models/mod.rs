//! Two tiny cluster models, for the simulator's own tests and as short
//! examples of the node API:
//!
//! - [`RegisterModel`]: every node is an independent register (or key-value
//!   map); with one node it is a linearizable register that syncs before it
//!   acknowledges.
//! - [`PrimaryBackupModel`]: node 0 is the primary; it orders every op,
//!   replicates writes to the backups and acknowledges after a majority has
//!   them. Backups forward client requests to the primary.

mod primary_backup;
mod register;

pub use primary_backup::{PbMessage, PbNode, PbTimer, PrimaryBackupModel};
pub use register::{RegisterModel, RegisterNode};

use crate::node::{ClientRequest, ClientResponse};
use shakedown_checkers::Value;

/// The storage key of a client key (`nil` for an unkeyed register).
fn storage_key(key: &Option<Value>) -> String {
    match key {
        None => "kv/nil".to_owned(),
        Some(k) => format!("kv/{k}"),
    }
}

/// Applies one client op (read/get, write/put, cas, append) to a register
/// holding `current`: a register model in one function, for tests and
/// fixtures. Returns
/// the response and the new value if the op wrote one.
pub fn apply_op(current: &Value, req: &ClientRequest) -> (ClientResponse, Option<Value>) {
    match req.f.as_str() {
        "read" | "get" => (ClientResponse::Ok(current.clone()), None),
        "write" | "put" => (
            ClientResponse::Ok(req.value.clone()),
            Some(req.value.clone()),
        ),
        "cas" => match req.value.as_seq() {
            Some([expected, new]) => {
                if current == expected {
                    (ClientResponse::Ok(req.value.clone()), Some(new.clone()))
                } else {
                    (ClientResponse::fail("cas-mismatch"), None)
                }
            }
            _ => (ClientResponse::fail("cas-needs-expected-and-new"), None),
        },
        "append" => {
            let mut items: Vec<Value> = current.as_seq().map(<[Value]>::to_vec).unwrap_or_default();
            items.push(req.value.clone());
            let new = Value::Vector(items);
            (ClientResponse::Ok(req.value.clone()), Some(new))
        }
        _ => (ClientResponse::fail("unsupported-op"), None),
    }
}
