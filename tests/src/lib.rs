//! Test harness for the insurance fund: one runtime (`solana-program-test`'s bank, with SPL
//! Token and Token-2022 as their bundled SBF binaries), two ways to run the program.
//!
//! - **native** (default): the program compiled for the host, called through `processor!`.
//!   Fast to iterate; its own compute units are not metered and `emit!` logs nothing.
//! - **sbf** (`INSURANCE_FUND_TEST_MODE=sbf`): the `.so` from `../shared/sbf/build-sbf.sh` or
//!   `anchor build`, loaded from `SBF_OUT_DIR` (default `target/deploy`) and run in the real
//!   VM: compute units metered, stack and heap limits enforced, events in the logs.
//!
//! Every test runs unchanged in both modes; assertions on events run where events exist
//! (see [`TestContext::event`]).

pub mod amm;
pub mod catalogue;
pub mod fixture;
pub mod governance;
pub mod liquidator;
pub mod oracle;
pub mod presets;
pub mod runtime;
/// Not glob-exported: `shortfall::setup()` reads better than a bare `setup()`.
pub mod shortfall;
pub mod token;

pub use amm::*;
pub use catalogue::*;
pub use fixture::*;
pub use governance::*;
pub use liquidator::*;
pub use oracle::*;
pub use presets::*;
pub use runtime::*;
pub use token::*;
