//! The pre-check: a read of a value that no operation could have produced
//! is a violation at once, whatever the order, with no search.
//!
//! It applies to parts whose ops the model can describe as reads and writes
//! of whole values ([`Model::value_flow`]); one opaque op (an append) turns
//! it off for the part.

use crate::model::{Model, ValueFlow};
use crate::search::PartOp;
use crate::value::Value;
use std::collections::HashSet;

/// The first read (in invocation order) of a value that no write in the
/// part could have produced and the initial state does not allow: its
/// part-op index and why.
pub(crate) fn unwritten_read<M: Model>(
    model: &M,
    init: &M::State,
    ops: &[PartOp<M::Op>],
) -> Option<(usize, String)> {
    let mut written: HashSet<&Value> = HashSet::new();
    for op in ops {
        match model.value_flow(&op.prepared) {
            ValueFlow::Writes(v) => {
                written.insert(v);
            }
            ValueFlow::Reads(_) | ValueFlow::Neither => {}
            ValueFlow::Opaque => return None,
        }
    }
    ops.iter().enumerate().find_map(|(i, op)| match model.value_flow(&op.prepared) {
        ValueFlow::Reads(v) if !written.contains(v) && model.step(init, &op.prepared).is_none() => {
            Some((
                i,
                format!(
                    "it read {v}, a value that no operation wrote and the initial state {} does not hold",
                    model.describe_state(init)
                ),
            ))
        }
        _ => None,
    })
}
