use crate::events::BoundsSet;
use crate::state::{BoundsArgs, Fund};
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetBounds<'info> {
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

/// Sets the fund-level bounds.
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: the liquid floor falls, the max
///   price age or the max pause rises, or the timelock falls.
/// - `min_liquid_bps` <= 10,000 (`MinLiquidShareTooHigh`).
/// - `max_price_age_secs` in 1..=86,400 (`InvalidMaxPriceAge`).
/// - `max_pause_secs` in 3,600..=2,592,000 (`InvalidMaxPause`); a running pause keeps its
///   expiry.
/// - `timelock_secs` <= 2,592,000 (`InvalidTimelock`); queued changes keep the eta they got.
/// - The resulting configuration must pass `Fund::validate_config` (liquid targets must still
///   cover the new minimum: `LiquidTargetsBelowMinimum`).
/// - Changes only the fund-level bounds.
/// - Emits `BoundsSet` with values before and after.
pub fn set_bounds(ctx: Context<SetBounds>, args: BoundsArgs) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let change = ConfigChange::SetBounds { bounds: args };
    authorize_change(
        &fund,
        ctx.accounts.fund.key(),
        change_authority!(ctx.accounts),
        &change,
        None,
    )?
    .consume()?;
    let before = fund.set_bounds(&args)?;
    fund.invariant()?;

    emit!(BoundsSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: args,
    });
    Ok(())
}
