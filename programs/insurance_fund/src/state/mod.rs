//! Account types, one file each; every PDA seed lives in `seeds.rs`.
pub mod asset;
pub mod fund;
pub mod nav;
pub mod rebalance;
pub mod seeds;

pub use asset::*;
pub use fund::*;
