use crate::error::FundError;
use crate::events::ChangeCancelled;
use crate::state::{Fund, PendingChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CancelChange<'info> {
    /// Governance, or anyone once the change is stale.
    pub authority: Signer<'info>,
    pub fund: AccountLoader<'info, Fund>,
    #[account(
        mut,
        has_one = fund @ FundError::PendingChangeMismatch,
        close = rent_recipient,
    )]
    pub pending_change: Account<'info, PendingChange>,
    /// CHECK: only receives lamports; must be the record's payer.
    #[account(mut, address = pending_change.payer @ FundError::RentRecipientMismatch)]
    pub rent_recipient: UncheckedAccount<'info>,
}

/// Cancels a queued change.
///
/// Specification:
/// - The record must belong to `fund` (`PendingChangeMismatch`); `rent_recipient` must be its
///   payer (`RentRecipientMismatch`).
/// - Governance may call for any queued change; anyone may call for one that can never
///   execute: queued under a previous governance, or past its grace period (both reported
///   as `stale`); nobody else (`NotGovernanceOrStale`).
/// - Closes the record, its rent to the payer; the fund is not modified.
/// - Emits `ChangeCancelled`.
pub fn cancel_change(ctx: Context<CancelChange>) -> Result<()> {
    let fund = ctx.accounts.fund.load()?;
    let record = &ctx.accounts.pending_change;
    let now = Clock::get()?.unix_timestamp;
    let stale = record.governance_epoch != fund.governance_epoch
        || record.is_expired(fund.timelock_secs, now);
    require!(
        stale || ctx.accounts.authority.key() == fund.governance,
        FundError::NotGovernanceOrStale
    );
    emit!(ChangeCancelled {
        fund: ctx.accounts.fund.key(),
        pending_change: ctx.accounts.pending_change.key(),
        cancelled_by: ctx.accounts.authority.key(),
        stale,
    });
    Ok(())
}
