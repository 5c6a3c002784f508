//! A loosening configuration change governance queued, waiting out the fund's timelock.

use crate::timelock::ConfigChange;
use anchor_lang::prelude::*;

/// PDA `["change", fund, sha256(borsh(change))]`. Created by `queue_change`; closed (rent to
/// `payer`) when the change executes or is cancelled.
#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct PendingChange {
    pub fund: Pubkey,
    /// Paid the rent; gets it back when the record closes.
    pub payer: Pubkey,
    /// `sha256(borsh(change))`, the last seed of the address.
    pub change_hash: [u8; 32],
    pub queued_at: i64,
    /// Executable by anyone from this time on (unix seconds).
    pub eta: i64,
    /// `Fund::governance_epoch` when queued; the change is void in any other epoch.
    pub governance_epoch: u64,
    pub bump: u8,
    /// The exact change that will execute, readable by anyone watching the fund.
    pub change: ConfigChange,
}

impl PendingChange {
    /// Discriminator, fixed fields, and room for the largest change.
    pub const SPACE: usize = 8 + 32 + 32 + 32 + 8 + 8 + 8 + 1 + ConfigChange::MAX_SIZE;
}
