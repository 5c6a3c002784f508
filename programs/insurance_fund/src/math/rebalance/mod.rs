//! Keeper rebalancing: the Dutch-auction premium, over/under-weight detection, fill pricing,
//! the bound checks every fill must pass, and an off-chain planner built on the same engine.
//!
//! A keeper delivers an under-weight asset `i` and takes an over-weight asset `o`. The fund
//! books what arrives at `i`'s lower price after its haircut and pays out at `o`'s upper
//! price, so every rounding and every price band favours the fund; the keeper's only reward
//! is the auction premium, and NAV falls by at most that premium (see `quote_fill`).
//!
//! Every bound is checked as an exact rational comparison (256-bit cross products, no bps
//! rounding). No floats, no heap, no panics on any input; at most `MAX_ASSETS` iterations per
//! loop on the on-chain path (`max_fill`, off-chain only, binary-searches).
//!
//! One file per concern: `auction` (the premium over time), `bands` (over/under weight, which
//! pairs may fill), `fill` (pricing and the bounds of every fill: the one engine of
//! `rebalance` and flash fills), `exact` (the exact share comparisons they share), `planner`
//! (the keeper's search, off-chain only); tests in `tests.rs`.

mod auction;
mod bands;
mod exact;
mod fill;
#[cfg(not(target_os = "solana"))]
mod planner;
#[cfg(test)]
mod tests;

pub use auction::*;
pub use bands::*;
use exact::*;
pub use fill::*;
#[cfg(not(target_os = "solana"))]
pub use planner::*;

use super::valuation::{
    amount_for_value_floor, mul_div_floor, value_ceil, value_floor, MathError, Price,
};
use super::weights::{compute, with_values, AssetInput, Weights};
use super::wide::{mul_64, mul_wide, SMALL_OPERAND, U256};
use crate::constants::{BPS_DENOMINATOR, CRISIS_SET_BACK_BPS, MAX_ASSETS};
use core::cmp::Ordering;
