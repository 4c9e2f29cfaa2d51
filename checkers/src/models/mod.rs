//! The built-in models. Their semantics are in `DESIGN.md` ("Checkers").

mod kv;
mod multi_register;
mod mutex;
mod register;

pub use kv::{Kv, KvOp};
pub use multi_register::{MicroOp, MultiRegister};
pub use mutex::{Mutex, MutexOp};
pub use register::{CasRegister, RegOp, Register};
