//! One file per instruction, grouped by who calls it.
//!
//! Anchor's `#[program]` needs every accounts struct in scope, hence the glob re-exports;
//! each instruction's handler is named after it (`set_bounds::set_bounds`), so the globs
//! re-export no two items of the same name.
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
