//! Account types, one file each; every PDA seed lives in `seeds.rs`.
pub mod asset;
pub mod claimant;
pub mod config;
pub mod draw;
pub mod flash;
pub mod fund;
pub mod nav;
pub mod pending_change;
pub mod rebalance;
pub use rebalance::{CrisisTriggers, FillMode, TargetTilt};
pub mod seeds;
pub mod shortfall;

pub use asset::*;
pub use claimant::*;
pub use config::*;
pub use draw::*;
pub use flash::*;
pub use fund::*;
pub use pending_change::*;
pub use shortfall::*;
