use crate::events::GuardianSet;
use crate::state::Fund;
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetGuardian<'info> {
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

/// Sets or clears the guardian.
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: a new guardian is set (removing
///   the guardian applies at once).
/// - `guardian`, when given, must not be the default key (`InvalidGovernance`); `None`
///   clears the role.
/// - Changes only the guardian.
/// - Emits `GuardianSet` with the guardian before and after (default key = unset).
pub fn set_guardian(ctx: Context<SetGuardian>, guardian: Option<Pubkey>) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let change = ConfigChange::SetGuardian { guardian };
    authorize_change(
        &fund,
        ctx.accounts.fund.key(),
        change_authority!(ctx.accounts),
        &change,
        None,
    )?
    .consume()?;
    let before = fund.set_guardian(guardian)?;
    fund.invariant()?;

    emit!(GuardianSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: fund.guardian,
    });
    Ok(())
}
