use crate::error::FundError;
use crate::events::TargetsSet;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetTargets<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Sets every asset's target weight at once, so the targets always sum to 10,000 bps.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `targets` has exactly one entry per registered asset, in asset order
///   (`TargetsLengthMismatch`).
/// - Each target <= 10,000 bps (`TargetTooHigh`) and they sum to exactly 10,000
///   (`TargetsSumInvalid`).
/// - The resulting configuration must pass `Fund::validate_config` (each target <= its max
///   weight: `MaxWeightBelowTarget`; liquid targets >= the minimum liquid share:
///   `LiquidTargetsBelowMinimum`).
/// - Changes only the target weights.
/// - Emits `TargetsSet` with the targets before and after.
pub fn set_targets(ctx: Context<SetTargets>, targets: Vec<u16>) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let before: Vec<u16> = fund
        .registered_assets()
        .iter()
        .map(|a| a.target_bps)
        .collect();
    fund.set_targets(&targets)?;
    fund.invariant()?;

    emit!(TargetsSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: targets,
    });
    Ok(())
}
