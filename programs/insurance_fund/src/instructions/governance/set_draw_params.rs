use crate::events::DrawParamsSet;
use crate::state::{DrawParams, Fund};
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetDrawParams<'info> {
    /// Governance, or anyone executing a matured queued change (`timelock::authorize_change`).
    pub authority: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    /// CHECK: the queued change being executed (a `PendingChange`), omitted when governance
    /// applies the change itself; `timelock::authorize_change` loads it (owner and
    /// discriminator) and checks its contents, in one place for every instruction.
    #[account(mut)]
    pub pending_change: Option<UncheckedAccount<'info>>,
    /// CHECK: receives the queued change's rent; `timelock::authorize_change` checks it is the
    /// change's payer.
    #[account(mut)]
    pub rent_recipient: Option<UncheckedAccount<'info>>,
}

/// Sets the shortfall parameters: approval threshold, fund-wide draw cap and draw window.
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: the approval threshold or
///   fund-wide cap rises or the window shortens.
/// - `fund_cap_bps` in 1..=10,000 (`InvalidDrawCap`); `window_secs` in 60..=2,592,000
///   (`InvalidRateLimitWindow`); `approval_threshold` any value (0: every declaration needs
///   approval).
/// - The whole configuration is validated (`Fund::validate_config`).
/// - Replaces the parameters; the draw bucket is kept.
/// - Emits `DrawParamsSet` with the parameters before and after.
pub fn set_draw_params(ctx: Context<SetDrawParams>, params: DrawParams) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let change = ConfigChange::SetDrawParams { params };
    authorize_change(
        &fund,
        ctx.accounts.fund.key(),
        change_authority!(ctx.accounts),
        &change,
        None,
    )?
    .consume()?;
    let before = fund.set_draw_params(&params)?;
    fund.invariant()?;
    emit!(DrawParamsSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: fund.draws,
    });
    Ok(())
}
