use crate::create::init_record;
use crate::error::FundError;
use crate::events::ChangeQueued;
use crate::state::{seeds::SEED_CHANGE, Fund, PendingChange};
use crate::timelock::ConfigChange;
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(change_hash: [u8; 32])]
pub struct QueueChange<'info> {
    pub governance: Signer<'info>,
    #[account(has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
    /// The queued-change record, created by the handler at this PDA (`create::init_record`, which also
    /// works when someone sent lamports to the address first).
    /// CHECK: the seeds fix the address; the handler creates and writes the account.
    #[account(
        mut,
        seeds = [SEED_CHANGE, fund.key().as_ref(), change_hash.as_ref()],
        bump,
    )]
    pub pending_change: UncheckedAccount<'info>,
    /// Pays the record's rent and gets it back when the change executes or is cancelled.
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// Queues a configuration change; anyone may execute it once the fund's timelock has passed.
///
/// Specification:
/// - Only governance may call (`NotGovernance`); `payer` pays the record's rent.
/// - `change_hash` must be `sha256(borsh(change))` (`ChangeHashMismatch`); the record lives at
///   PDA `["change", fund, change_hash]`, so the same change cannot be queued twice at once
///   (`AccountAlreadyExists`); lamports someone sent to that address beforehand do not block
///   it (`create::create_pda`).
/// - Checks that need no fund state run now (`ConfigChange::validate_shape`: rebalance and
///   draw parameter bounds, claimant caps, the timelock bound); the whole configuration is
///   validated again when the change executes.
/// - Creates the record with `eta = now + timelock_secs`, the current governance epoch and
///   configuration stamp (`Fund::config_seq`); the fund is not modified. Execution waits
///   until `max(eta, queued_at + the timelock in force then)` and is possible for
///   `QUEUED_CHANGE_GRACE_SECS` (14 days) after that; the change is void once its target was
///   changed after it was queued (see `timelock::authorize_change`).
/// - Emits `ChangeQueued` with the change and its eta.
pub fn queue_change(
    ctx: Context<QueueChange>,
    change_hash: [u8; 32],
    change: ConfigChange,
) -> Result<()> {
    require!(change.hash()? == change_hash, FundError::ChangeHashMismatch);
    change.validate_shape()?;
    let fund = ctx.accounts.fund.load()?;
    let now = Clock::get()?.unix_timestamp;
    let eta = now
        .checked_add(i64::from(fund.timelock_secs))
        .ok_or_else(|| error!(FundError::MathOverflow))?;
    let fund_key = ctx.accounts.fund.key();
    let bump = ctx.bumps.pending_change;
    init_record(
        &ctx.accounts.payer,
        &ctx.accounts.pending_change,
        PendingChange::SPACE,
        &[
            SEED_CHANGE,
            fund_key.as_ref(),
            change_hash.as_ref(),
            &[bump],
        ],
        &PendingChange {
            fund: fund_key,
            payer: ctx.accounts.payer.key(),
            change_hash,
            queued_at: now,
            eta,
            governance_epoch: fund.governance_epoch,
            queued_seq: fund.config_seq,
            bump,
            change: change.clone(),
        },
    )?;
    emit!(ChangeQueued {
        fund: fund_key,
        pending_change: ctx.accounts.pending_change.key(),
        change_hash,
        change,
        eta,
    });
    Ok(())
}
