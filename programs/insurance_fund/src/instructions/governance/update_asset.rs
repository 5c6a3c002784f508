use crate::error::FundError;
use crate::events::AssetUpdated;
use crate::state::{AssetParams, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct UpdateAsset<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Replaces a registered asset's parameters (max weight, haircut, class, oracle, flags).
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `mint` must be registered in the fund (`UnknownAsset`).
/// - The resulting configuration must pass `Fund::validate_config` as a whole (each rule its
///   own error, e.g. `MaxWeightBelowTarget`, `LiquidTargetsBelowMinimum` when reclassifying).
/// - Changes only that asset's parameters; target, balances and vault are untouched. A changed
///   oracle configuration clears the asset's cached price (stale until the next refresh).
/// - Emits `AssetUpdated` with the parameters before and after.
pub fn handler(ctx: Context<UpdateAsset>, mint: Pubkey, params: AssetParams) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let index = fund.asset_index(&mint)?;
    let before = fund.assets[index].params()?;
    fund.assets[index].apply_params(&params);
    fund.invariant()?;

    emit!(AssetUpdated {
        fund: ctx.accounts.fund.key(),
        mint,
        before,
        after: params,
    });
    Ok(())
}
