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
/// - Sets those bits of `paused`; only governance can clear them (`unpause`).
/// - Every pause expires `max_pause_secs` after it starts. A pause by governance (re)starts
///   that clock, so governance renews a pause by pausing again; a pause by the guardian
///   starts it only when no pause is in force, so the guardian can never extend one (a lost
///   or rogue guardian key cannot freeze the fund for longer than `max_pause_secs` at a
///   time). Bits of an expired pause are dropped when a new one starts.
/// - Emits `PauseChanged` with the pause bits before and after.
pub fn pause(ctx: Context<Pause>, flags: u8) -> Result<()> {
    pause_flags::check(flags)?;
    let mut fund = ctx.accounts.fund.load_mut()?;
    let signer = ctx.accounts.authority.key();
    require!(
        signer == fund.governance || (fund.has_guardian() && signer == fund.guardian),
        FundError::NotGuardianOrGovernance
    );
    let now = Clock::get()?.unix_timestamp;
    let before = fund.active_pauses(now);
    let expires = now.saturating_add(i64::from(fund.max_pause_secs));
    if before == 0 {
        fund.paused = flags;
        fund.pause_expires_at = expires;
    } else {
        fund.paused |= flags;
        if signer == fund.governance {
            fund.pause_expires_at = expires;
        }
    }
    fund.invariant()?;

    emit!(PauseChanged {
        fund: ctx.accounts.fund.key(),
        by: signer,
        paused_before: before,
        paused_after: fund.paused,
        expires_at: fund.pause_expires_at,
    });
    Ok(())
}
