//! Runtime-free arithmetic used by the handlers.
pub mod draw;
pub mod rate_limit;
pub mod rebalance;
pub mod safe_math;
pub mod valuation;
pub mod weights;
pub mod wide;
pub use safe_math::SafeMath;
pub use valuation::{MathError, Price};
pub use weights::{AssetInput, Weights};
