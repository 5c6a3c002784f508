//! One file per instruction, grouped by who calls it.
//!
//! Anchor's `#[program]` needs every accounts struct in scope, hence the glob re-exports;
//! each module's `handler` is always called by its full path.
#![allow(ambiguous_glob_reexports)]
pub mod deposit;
pub mod governance;
pub mod guardian;
pub mod keeper;
pub mod shortfall;

pub use deposit::*;
pub use governance::*;
pub use guardian::*;
pub use keeper::*;
pub use shortfall::*;
