use crate::error::FundError;
use crate::events::PauseChanged;
use crate::state::{pause_flags, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct Pause<'info> {
    /// The guardian or governance.
    pub authority: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Pauses deposits, rebalances and/or new shortfall declarations at once (draws are never
/// pausable).
///
/// Specification:
/// - The guardian (when set) or governance may call (`NotGuardianOrGovernance`).
/// - `flags` is non-zero and only `pause_flags` bits (`InvalidPauseFlags`).
/// - Sets those bits of `paused` (setting a bit that is already set is a no-op); only
///   governance can clear them (`unpause`).
/// - Emits `PauseChanged` with the pause bits before and after.
pub fn handler(ctx: Context<Pause>, flags: u8) -> Result<()> {
    pause_flags::check(flags)?;
    let mut fund = ctx.accounts.fund.load_mut()?;
    let signer = ctx.accounts.authority.key();
    require!(
        signer == fund.governance || (fund.has_guardian() && signer == fund.guardian),
        FundError::NotGuardianOrGovernance
    );
    let before = fund.paused;
    fund.paused |= flags;
    fund.invariant()?;

    emit!(PauseChanged {
        fund: ctx.accounts.fund.key(),
        by: signer,
        paused_before: before,
        paused_after: fund.paused,
    });
    Ok(())
}
