use crate::events::AssetUpdated;
use crate::state::{AssetParams, Fund};
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct UpdateAsset<'info> {
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

/// Replaces a registered asset's parameters (max weight, haircut, class, oracle, flags).
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: the oracle changes, max weight
///   rises, haircut falls, the class becomes more liquid, or a clear flag is set.
/// - `mint` must be registered in the fund (`UnknownAsset`) and not retired (`AssetIsRetired`:
///   a retired asset's parameters are final).
/// - The resulting configuration must pass `Fund::validate_config` as a whole (each rule its
///   own error, e.g. `MaxWeightBelowTarget`, `LiquidTargetsBelowMinimum` when reclassifying).
/// - Changes only that asset's parameters; target, balances and vault are untouched. A changed
///   oracle configuration clears the asset's cached price (stale until the next refresh).
/// - Emits `AssetUpdated` with the parameters before and after.
pub fn update_asset(ctx: Context<UpdateAsset>, mint: Pubkey, params: AssetParams) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let change = ConfigChange::UpdateAsset { mint, params };
    authorize_change(
        &fund,
        ctx.accounts.fund.key(),
        change_authority!(ctx.accounts),
        &change,
        None,
    )?
    .consume()?;
    let before = fund.update_asset(&mint, &params)?;
    fund.invariant()?;

    emit!(AssetUpdated {
        fund: ctx.accounts.fund.key(),
        mint,
        before,
        after: params,
    });
    Ok(())
}
