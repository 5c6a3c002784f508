#![allow(ambiguous_glob_reexports)]
pub mod accept_governance;
pub mod add_asset;
pub mod cancel_governance_transfer;
pub mod initialize_fund;
pub mod propose_governance;
pub mod set_bounds;
pub mod set_guardian;
pub mod set_rebalance_params;
pub mod set_targets;
pub mod unpause;
pub mod update_asset;

pub use accept_governance::*;
pub use add_asset::*;
pub use cancel_governance_transfer::*;
pub use initialize_fund::*;
pub use propose_governance::*;
pub use set_bounds::*;
pub use set_guardian::*;
pub use set_rebalance_params::*;
pub use set_targets::*;
pub use unpause::*;
pub use update_asset::*;
