use crate::error::FundError;
use crate::events::PauseChanged;
use crate::state::{pause_flags, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct Unpause<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Lifts pauses. Only governance can: a guardian can stop the fund but never restart it.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `flags` is non-zero and only `pause_flags` bits (`InvalidPauseFlags`).
/// - Clears those bits of `paused` (clearing a bit that is not set is a no-op).
/// - Emits `PauseChanged` with the pause bits before and after.
pub fn unpause(ctx: Context<Unpause>, flags: u8) -> Result<()> {
    pause_flags::check(flags)?;
    let mut fund = ctx.accounts.fund.load_mut()?;
    let now = Clock::get()?.unix_timestamp;
    let before = fund.active_pauses(now);
    fund.paused &= !flags;
    fund.invariant()?;

    emit!(PauseChanged {
        fund: ctx.accounts.fund.key(),
        by: ctx.accounts.governance.key(),
        paused_before: before,
        paused_after: fund.active_pauses(now),
        expires_at: fund.pause_expires_at,
    });
    Ok(())
}
