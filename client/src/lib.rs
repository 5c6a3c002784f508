//! Host-side helpers for the insurance fund, shared by the integration tests and the `ifund`
//! app: one place, not copies.
//!
//! - [`pda`]: every program-derived address (seeds from the program's `state::seeds`).
//! - [`decode`]: the `Fund` (zero-copy), `Claimant` and `Shortfall` accounts, token balances,
//!   and Pyth `PriceUpdateV2` accounts (encoding too, for simulations).
//! - [`ix`]: one builder per program instruction, as plain functions.
//! - [`remaining`]: the documented remaining accounts of `refresh_prices` and `draw`, and
//!   the draw planner that decides how many payout groups a draw needs.
//! - [`governance`]: the Squads v4 and SPL Governance instructions a fund's governance
//!   submits, votes on and executes (`ifund propose --submit`, and the tests).
//! - [`amm`]: SPL Token Swap's instructions, pool account and swap quote (the test AMM and
//!   the keeper's embedded quote source).
//! - [`embedded`] (feature `embedded`): the program run natively inside
//!   `solana-program-test`.

pub mod amm;
pub mod decode;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod governance;
pub mod ix;
pub mod pda;
pub mod remaining;

pub use insurance_fund;
pub use insurance_fund::ID as PROGRAM_ID;
