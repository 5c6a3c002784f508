//! Events: one per state change, carrying before and after values so keepers and indexers
//! reconcile without re-reading accounts.
//!
//! Emitted with `emit!` (a `sol_log_data` log line, `Program data: <base64>`), not `emit_cpi!`:
//! a self-CPI per event would cost more than 1,000 CU, add two accounts to every instruction
//! and use one level of CPI depth, which a liquidation program calling `draw` through CPI
//! cannot spare. Indexers read the log lines (as for most Anchor programs).

use crate::state::AssetParams;
use crate::state::BoundsArgs;
use crate::state::{ClaimantCaps, DrawConfig, RebalanceConfig};
use anchor_lang::prelude::*;

#[event]
pub struct FundInitialized {
    pub fund: Pubkey,
    pub governance: Pubkey,
    pub guardian: Pubkey,
    pub create_key: Pubkey,
    pub numeraire: [u8; 8],
    pub numeraire_decimals: u8,
    pub min_liquid_bps: u16,
}

#[event]
pub struct AssetAdded {
    pub fund: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub index: u8,
    pub token_program: Pubkey,
    pub decimals: u8,
    pub params: AssetParams,
}

#[event]
pub struct AssetUpdated {
    pub fund: Pubkey,
    pub mint: Pubkey,
    pub before: AssetParams,
    pub after: AssetParams,
}

#[event]
pub struct AssetRetired {
    pub fund: Pubkey,
    pub mint: Pubkey,
    /// What the fund still holds of it (valued at 0 from now on).
    pub booked_balance: u64,
}

#[event]
pub struct AssetRemoved {
    pub fund: Pubkey,
    pub mint: Pubkey,
    /// The slot it occupied; later assets moved down one.
    pub index: u8,
}

#[event]
pub struct TargetsSet {
    pub fund: Pubkey,
    /// Targets in asset order (bps).
    pub before: Vec<u16>,
    pub after: Vec<u16>,
}

#[event]
pub struct BoundsSet {
    pub fund: Pubkey,
    pub before: BoundsArgs,
    pub after: BoundsArgs,
}

#[event]
pub struct PricesRefreshed {
    pub fund: Pubkey,
    /// Bit i set: asset i was refreshed.
    pub assets: u16,
    /// Per refreshed asset, in index order: the cached bounds and the vault balance re-read.
    pub refreshed: Vec<RefreshedAsset>,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshedAsset {
    pub index: u8,
    /// The update was newer than the cache and replaced it; otherwise the cached price (the
    /// bounds below) was kept.
    pub updated: bool,
    /// The cached price (the bounds below) came from the asset's fallback source.
    pub on_fallback: bool,
    pub lower: u64,
    pub upper: u64,
    pub expo: i32,
    pub publish_time: i64,
    pub booked_balance_before: u64,
    pub booked_balance_after: u64,
}

#[event]
pub struct FeesDeposited {
    pub fund: Pubkey,
    pub depositor: Pubkey,
    pub mint: Pubkey,
    /// Amount the depositor sent.
    pub amount_sent: u64,
    /// Amount that arrived in the vault (less any Token-2022 transfer fee); what is booked.
    pub amount_received: u64,
    pub vault_balance_before: u64,
    pub vault_balance_after: u64,
    pub booked_balance_after: u64,
}

#[event]
pub struct GovernanceTransferProposed {
    pub fund: Pubkey,
    pub governance: Pubkey,
    pub pending_before: Pubkey,
    pub pending_after: Pubkey,
}

#[event]
pub struct GovernanceTransferCancelled {
    pub fund: Pubkey,
    pub governance: Pubkey,
    pub cancelled: Pubkey,
}

#[event]
pub struct GovernanceTransferred {
    pub fund: Pubkey,
    pub before: Pubkey,
    pub after: Pubkey,
}

#[event]
pub struct GuardianSet {
    pub fund: Pubkey,
    pub before: Pubkey,
    pub after: Pubkey,
}

#[event]
pub struct PauseChanged {
    pub fund: Pubkey,
    pub by: Pubkey,
    /// Pause bits in force before and after.
    pub paused_before: u8,
    pub paused_after: u8,
    /// When the pause in force expires unless governance renews it.
    pub expires_at: i64,
}

#[event]
pub struct RebalanceParamsSet {
    pub fund: Pubkey,
    pub before: RebalanceConfig,
    pub after: RebalanceConfig,
}

#[event]
pub struct AuctionsSynced {
    pub fund: Pubkey,
    /// Bit i: asset i is over `target + band` / under `target - band`.
    pub over_mask: u16,
    pub under_mask: u16,
    pub now: i64,
}

#[event]
pub struct Rebalanced {
    pub fund: Pubkey,
    pub keeper: Pubkey,
    pub mint_in: Pubkey,
    pub mint_out: Pubkey,
    pub amount_in_sent: u64,
    /// Measured at the vault (less any transfer fee); what is booked and valued.
    pub amount_in_received: u64,
    pub amount_out: u64,
    /// Numeraire atoms: what came in (NAV measure), what went out at the upper price, and
    /// the difference paid to the keeper.
    pub value_in: u128,
    pub value_out: u128,
    pub premium_bps: u16,
    pub premium_value: u128,
    pub nav_before: u128,
    pub nav_after: u128,
    pub distance_before_bps: u32,
    pub distance_after_bps: u32,
    pub liquid_before_bps: u16,
    pub liquid_after_bps: u16,
    /// A flash fill (`rebalance_begin` / `rebalance_end`): the keeper borrowed the out-asset
    /// and `amount_in_sent` is what reached the vault.
    pub flash: bool,
}

#[event]
pub struct DrawParamsSet {
    pub fund: Pubkey,
    pub before: DrawConfig,
    pub after: DrawConfig,
}

#[event]
pub struct ClaimantRegistered {
    pub fund: Pubkey,
    pub claimant: Pubkey,
    pub authority: Pubkey,
    pub payout_owner: Pubkey,
    pub caps: ClaimantCaps,
}

#[event]
pub struct ClaimantUpdated {
    pub fund: Pubkey,
    pub claimant: Pubkey,
    pub payout_owner: Pubkey,
    pub caps_before: ClaimantCaps,
    pub caps_after: ClaimantCaps,
    pub enabled_before: bool,
    pub enabled_after: bool,
}

#[event]
pub struct ClaimantRemoved {
    pub fund: Pubkey,
    pub claimant: Pubkey,
    pub authority: Pubkey,
    pub drawn_lifetime: u64,
}

#[event]
pub struct ShortfallDeclared {
    pub fund: Pubkey,
    pub shortfall: Pubkey,
    pub claimant: Pubkey,
    pub declarer: Pubkey,
    pub id: u64,
    pub amount: u64,
    pub reference: [u8; 32],
    pub needs_approval: bool,
    /// Shortfalls open after this one (non-zero: the fund is in shortfall mode).
    pub open_shortfalls: u32,
}

#[event]
pub struct ShortfallApproved {
    pub fund: Pubkey,
    pub shortfall: Pubkey,
    pub id: u64,
    pub declared: u64,
}

/// One asset's part of a draw.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payout {
    pub mint: Pubkey,
    /// Token atoms paid.
    pub amount: u64,
    /// Value credited to the shortfall (numeraire atoms, at the upper price, rounded down).
    pub value: u64,
}

#[event]
pub struct ShortfallDrawn {
    pub fund: Pubkey,
    pub shortfall: Pubkey,
    pub id: u64,
    pub payouts: Vec<Payout>,
    /// Value paid by this draw, in total so far, and still owed.
    pub paid: u64,
    pub total_paid: u64,
    pub remaining: u64,
}

#[event]
pub struct ShortfallClosed {
    pub fund: Pubkey,
    pub shortfall: Pubkey,
    pub id: u64,
    pub declared: u64,
    pub paid: u64,
    /// Cancelled (true) or fully paid (false).
    pub cancelled: bool,
}

#[event]
pub struct ChangeQueued {
    pub fund: Pubkey,
    pub pending_change: Pubkey,
    pub change_hash: [u8; 32],
    pub change: crate::timelock::ConfigChange,
    /// Executable by anyone from this time on.
    pub eta: i64,
}

#[event]
pub struct ChangeExecuted {
    pub fund: Pubkey,
    pub pending_change: Pubkey,
    pub executor: Pubkey,
}

#[event]
pub struct ChangeCancelled {
    pub fund: Pubkey,
    pub pending_change: Pubkey,
    pub cancelled_by: Pubkey,
    /// Void because governance changed since it was queued (anyone may then cancel it).
    pub stale: bool,
}
