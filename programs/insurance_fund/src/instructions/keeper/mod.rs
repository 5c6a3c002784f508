#![allow(ambiguous_glob_reexports)]
pub mod get_nav;
pub mod rebalance;
pub mod refresh_prices;
pub mod sync_auctions;

pub use get_nav::*;
pub use rebalance::*;
pub use refresh_prices::*;
pub use sync_auctions::*;
