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
    /// `Fund::config_seq` when queued: the change is void once its target carries a later
    /// stamp (`ConfigChange::target_seq`).
    pub queued_seq: u64,
    pub bump: u8,
    /// The exact change that will execute, readable by anyone watching the fund.
    pub change: ConfigChange,
}

impl PendingChange {
    /// Discriminator, fixed fields, and room for the largest change.
    pub const SPACE: usize = 8 + 32 + 32 + 32 + 8 + 8 + 8 + 8 + 1 + ConfigChange::MAX_SIZE;

    /// When the change becomes executable: its eta, or later if the timelock in force now is
    /// longer than the one it was queued under (raising the timelock applies to what is
    /// already queued).
    pub fn ready_at(&self, timelock_secs: u32) -> i64 {
        self.eta
            .max(self.queued_at.saturating_add(i64::from(timelock_secs)))
    }

    /// Past its grace period (`QUEUED_CHANGE_GRACE_SECS` after `ready_at`): it can never
    /// execute, only be cancelled.
    pub fn is_expired(&self, timelock_secs: u32, now: i64) -> bool {
        now > self
            .ready_at(timelock_secs)
            .saturating_add(crate::constants::QUEUED_CHANGE_GRACE_SECS)
    }
}
