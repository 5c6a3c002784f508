//! A declared shortfall: bad debt a claimant asks the fund to cover.

use crate::error::FundError;
use crate::math::SafeMath;
use anchor_lang::prelude::*;

/// Lifecycle: `Open` (drawable at once when at most the approval threshold, else after
/// `approve_shortfall`) → `Paid` (fully paid) or `Cancelled`; a closed record can then be
/// closed to reclaim rent (`close_shortfall`), and its address can never be reused because
/// ids only grow.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ShortfallStatus {
    Open,
    Paid,
    Cancelled,
}

/// PDA `["shortfall", fund, id (u64 LE)]`.
#[account]
#[derive(Debug, PartialEq, Eq, InitSpace)]
pub struct Shortfall {
    pub fund: Pubkey,
    pub claimant: Pubkey,
    /// The fund's shortfall counter at declaration.
    pub id: u64,
    /// Declared bad debt and what has been paid toward it (numeraire atoms).
    pub declared: u64,
    pub paid: u64,
    /// Free-form reference chosen by the declarer (e.g. the bankrupt account or market).
    pub reference: [u8; 32],
    pub status: ShortfallStatus,
    /// Declared above the fund's approval threshold: drawable only once approved.
    pub needs_approval: bool,
    pub approved: bool,
    pub declared_at: i64,
    /// Who pays back the rent when the record is closed.
    pub rent_payer: Pubkey,
    pub bump: u8,
}

impl Shortfall {
    pub const SPACE: usize = 8 + Self::INIT_SPACE;

    pub fn remaining(&self) -> u64 {
        self.declared.saturating_sub(self.paid)
    }

    pub fn is_drawable(&self) -> bool {
        self.status == ShortfallStatus::Open && (!self.needs_approval || self.approved)
    }

    /// Books `value` paid; the shortfall becomes `Paid` when nothing remains.
    pub fn record_payment(&mut self, value: u64) -> Result<()> {
        self.paid = self.paid.safe_add(value)?;
        if self.paid >= self.declared {
            self.status = ShortfallStatus::Paid;
        }
        self.invariant()
    }

    pub fn invariant(&self) -> Result<()> {
        require!(self.paid <= self.declared, FundError::InvariantViolated);
        require!(
            self.status != ShortfallStatus::Paid || self.paid == self.declared,
            FundError::InvariantViolated
        );
        Ok(())
    }
}
