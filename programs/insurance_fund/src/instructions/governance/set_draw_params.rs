use crate::error::FundError;
use crate::events::DrawParamsSet;
use crate::state::{DrawConfig, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetDrawParams<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Sets the shortfall parameters: approval threshold, fund-wide draw cap and draw window.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `fund_cap_bps` in 1..=10,000 (`InvalidDrawCap`); `window_secs` in 60..=2,592,000
///   (`InvalidRateLimitWindow`); `approval_threshold` any value (0: every declaration needs
///   approval).
/// - The whole configuration is validated (`Fund::validate_config`).
/// - Replaces the parameters; the draw bucket is kept.
/// - Emits `DrawParamsSet` with the parameters before and after.
pub fn handler(ctx: Context<SetDrawParams>, params: DrawConfig) -> Result<()> {
    require!(params.fund_cap_bps > 0, FundError::InvalidDrawCap);
    let mut fund = ctx.accounts.fund.load_mut()?;
    let before = fund.draws;
    fund.draws = params;
    fund.invariant()?;
    emit!(DrawParamsSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: params,
    });
    Ok(())
}
