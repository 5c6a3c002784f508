pub mod approve_shortfall;
pub mod cancel_shortfall;
pub mod close_shortfall;
pub mod declare_shortfall;
pub mod draw;

pub use approve_shortfall::*;
pub use cancel_shortfall::*;
pub use close_shortfall::*;
pub use declare_shortfall::*;
pub use draw::*;
