//! The built-in models. Their semantics are in `DESIGN.md` ("Checkers").

mod counter;
mod kv;
mod multi_register;
mod mutex;
mod queue;
mod register;
mod sequential;
mod set;

pub use counter::CounterChecker;
pub use kv::{Kv, KvOp};
pub use multi_register::{MicroOp, MultiRegister};
pub use mutex::{Mutex, MutexOp};
pub use queue::{FifoQueue, Queue, QueueAnalysis, QueueOp, UnorderedQueue};
pub use register::{CasRegister, RegOp, Register};
pub use sequential::{Sequential, SequentialKv};
pub use set::{SetAnalysis, SetChecker};
