pub mod fill;
pub mod get_nav;
pub mod rebalance;
pub mod rebalance_begin;
pub mod rebalance_end;
pub mod refresh_prices;
pub mod sync_auctions;

pub use get_nav::*;
pub use rebalance::*;
pub use rebalance_begin::*;
pub use rebalance_end::*;
pub use refresh_prices::*;
pub use sync_auctions::*;
