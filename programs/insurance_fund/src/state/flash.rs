//! The flash fill in progress on a fund, if any (`rebalance_begin` / `rebalance_end`).

use anchor_lang::prelude::*;

/// Set by `rebalance_begin` and cleared by `rebalance_end` in the same transaction.
///
/// No committed state ever has `active` set: `rebalance_begin` refuses to run unless a
/// matching `rebalance_end` follows it at the top level of the same transaction, and that end
/// either clears it or fails, failing the whole transaction. While it is set every other
/// instruction refuses the fund (`FlashFillInProgress`, checked first in each instruction
/// in `lib.rs`), so nothing but the keeper's own transfers can move the two vaults between
/// the balances recorded here and the end's measurement, and no price, pause or parameter
/// can change under the fill.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FlashFill {
    /// Balances of the in- and out-vault when the fill began: the end books what moved.
    pub vault_in_before: u64,
    pub vault_out_before: u64,
    /// The out-asset's sale price and floor (mantissas at its upper price's exponent; floor
    /// 0 = none) when the fill began (`math::rebalance::OutPricing`).
    pub sale: u64,
    pub floor: u64,
    /// `Fund::stale_mask` and the pair's premium when the fill began (the clock cannot move
    /// within a transaction and the lock keeps prices and balances fixed, so these, the
    /// pricing and the mode hold at the end).
    pub stale: u16,
    pub premium_bps: u16,
    /// Indices of the pair: `in_index` delivered to the fund, `out_index` lent to the keeper.
    pub in_index: u8,
    pub out_index: u8,
    /// 1 while a flash fill is open.
    pub active: u8,
    /// 1 if the fill began in crisis mode (its terms are the crisis profile's).
    pub crisis: u8,
}

impl FlashFill {
    pub fn is_active(&self) -> bool {
        self.active != 0
    }
}
