#![allow(ambiguous_glob_reexports)]
pub mod deposit_fees;
pub use deposit_fees::*;
