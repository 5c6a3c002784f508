#![allow(ambiguous_glob_reexports)]
pub mod get_nav;
pub mod refresh_prices;

pub use get_nav::*;
pub use refresh_prices::*;
