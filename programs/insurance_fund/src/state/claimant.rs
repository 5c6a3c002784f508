//! A protocol (or keypair) governance allows to declare shortfalls and draw from the fund.

use crate::error::FundError;
use crate::math::rate_limit::{drained_level_ceil, try_fill};
use crate::math::SafeMath;
use anchor_lang::prelude::*;

/// PDA `["claimant", fund, authority]`.
#[account]
#[derive(Debug, PartialEq, Eq, InitSpace)]
pub struct Claimant {
    pub fund: Pubkey,
    /// Signs declarations and draws: typically a PDA of a liquidation program (signing
    /// through `invoke_signed`), or a keypair.
    pub authority: Pubkey,
    /// Payouts go only to token accounts owned by this key.
    pub payout_owner: Pubkey,
    pub caps: ClaimantCaps,
    /// Lifetime value drawn (numeraire atoms).
    pub drawn_lifetime: u64,
    /// Leaky bucket of value drawn, draining `caps.max_per_window` per the fund's draw window.
    pub window_level: u64,
    pub window_updated_at: i64,
    /// Leaky bucket of value declared without approval (numeraire atoms), draining the
    /// fund's `approval_threshold` per draw window, as of `unapproved_updated_at`: a
    /// declaration that would take it past the threshold needs approval, so splitting a loss
    /// into small declarations gains nothing (`Claimant::admit_declaration`).
    pub unapproved_level: u64,
    pub unapproved_updated_at: i64,
    /// Stamp (`Fund::config_seq`) of the claimant's registration or last update.
    pub config_seq: u64,
    /// Shortfalls of this claimant still open (the claimant cannot be removed before 0).
    pub open_shortfalls: u16,
    pub enabled: bool,
    pub bump: u8,
}

/// A claimant's caps, all in numeraire atoms.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct ClaimantCaps {
    pub max_per_shortfall: u64,
    pub max_per_window: u64,
    pub lifetime_max: u64,
}

impl ClaimantCaps {
    /// Every cap positive, and none above the lifetime cap.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.max_per_shortfall > 0 && self.max_per_window > 0 && self.lifetime_max > 0,
            FundError::InvalidClaimantCaps
        );
        require!(
            self.max_per_shortfall <= self.lifetime_max && self.max_per_window <= self.lifetime_max,
            FundError::InvalidClaimantCaps
        );
        Ok(())
    }
}

impl Claimant {
    pub const SPACE: usize = 8 + Self::INIT_SPACE;

    /// The rule of `remove_claimant` (shared with off-chain proposal checks): no open
    /// shortfall (`ClaimantHasOpenShortfalls`): cancel them first.
    pub fn check_removable(&self) -> Result<()> {
        require!(
            self.open_shortfalls == 0,
            FundError::ClaimantHasOpenShortfalls
        );
        Ok(())
    }

    /// The key rules of `register_claimant` and `update_claimant` (one place, shared with
    /// off-chain proposal checks): neither the authority nor the payout owner is the default
    /// key (`InvalidGovernance`), and the payout owner is not the fund itself
    /// (`InvalidPayoutOwner`: the fund owns its vaults, so paying "to" them would credit a
    /// shortfall without any tokens leaving).
    pub fn check_keys(fund: &Pubkey, authority: &Pubkey, payout_owner: &Pubkey) -> Result<()> {
        require!(
            *authority != Pubkey::default() && *payout_owner != Pubkey::default(),
            FundError::InvalidGovernance
        );
        require_keys_neq!(*payout_owner, *fund, FundError::InvalidPayoutOwner);
        Ok(())
    }

    /// Books a draw of `value` at `now`, with the bucket already drained to `drained`.
    pub fn record_draw(&mut self, value: u64, drained: u64, now: i64) -> Result<()> {
        self.drawn_lifetime = self.drawn_lifetime.safe_add(value)?;
        self.window_level = drained.safe_add(value)?;
        self.window_updated_at = now;
        Ok(())
    }

    /// The approval rule of `declare_shortfall`: whether a declaration of `amount` at `now`
    /// needs governance approval. What the claimant declared without approval is counted
    /// cumulatively in a leaky bucket of capacity `threshold` draining over `window_secs`
    /// (the draw window): a declaration that fits in the bucket is drawable at once and fills
    /// it; one that does not needs approval (as a whole) and leaves the bucket as it was.
    /// Cancelling a declaration gives nothing back. Returns `needs_approval`.
    pub fn admit_declaration(
        &mut self,
        amount: u64,
        threshold: u64,
        window_secs: u32,
        now: i64,
    ) -> Result<bool> {
        let drained = drained_level_ceil(
            self.unapproved_level,
            threshold,
            window_secs,
            now.saturating_sub(self.unapproved_updated_at),
        );
        let next = try_fill(drained, amount, threshold)?;
        self.unapproved_level = next.unwrap_or(drained);
        self.unapproved_updated_at = now;
        Ok(next.is_none())
    }

    /// Caps stay valid. (Drawn amounts may exceed caps governance lowered later; caps only
    /// limit new draws.)
    pub fn invariant(&self) -> Result<()> {
        self.caps.validate()
    }
}
