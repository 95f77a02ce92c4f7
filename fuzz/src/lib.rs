//! Fuzz harness for dxmap: the checks each target runs live in [`harness`]
//! (for `derived` and `within`, in [`inputs`]; for `server_raw`, in
//! [`raw`]), which the tests in `tests/` also include by path.

pub mod harness;
pub mod inputs;
pub mod raw;
