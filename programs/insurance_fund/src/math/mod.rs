//! Runtime-free arithmetic used by the handlers.
pub mod safe_math;
pub use safe_math::SafeMath;
