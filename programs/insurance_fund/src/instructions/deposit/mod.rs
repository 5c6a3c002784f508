pub mod deposit_fees;
pub use deposit_fees::*;
