use crate::error::FundError;
use crate::events::ClaimantUpdated;
use crate::state::{Claimant, ClaimantCaps, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct UpdateClaimant<'info> {
    pub governance: Signer<'info>,
    #[account(has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(mut, has_one = fund @ FundError::ClaimantFundMismatch)]
    pub claimant: Account<'info, Claimant>,
}

/// Changes a claimant's caps, payout owner, or enables/disables it.
///
/// Specification:
/// - Only governance may call (`NotGovernance`); the claimant belongs to this fund
///   (`ClaimantFundMismatch`).
/// - `payout_owner` is not the default key (`InvalidGovernance`) nor the fund itself
///   (`InvalidPayoutOwner`); caps are valid
///   (`InvalidClaimantCaps`).
/// - Replaces caps, payout owner and the enabled flag; drawn amounts are kept.
/// - Emits `ClaimantUpdated` with caps and flag before and after.
pub fn handler(
    ctx: Context<UpdateClaimant>,
    payout_owner: Pubkey,
    caps: ClaimantCaps,
    enabled: bool,
) -> Result<()> {
    require!(
        payout_owner != Pubkey::default(),
        FundError::InvalidGovernance
    );
    // the fund's own vaults are owned by the fund: paying "to" them would credit a shortfall
    // without any tokens leaving
    require_keys_neq!(
        payout_owner,
        ctx.accounts.fund.key(),
        FundError::InvalidPayoutOwner
    );
    let c = &mut ctx.accounts.claimant;
    let (caps_before, enabled_before) = (c.caps, c.enabled);
    c.payout_owner = payout_owner;
    c.caps = caps;
    c.enabled = enabled;
    c.invariant()?;
    emit!(ClaimantUpdated {
        fund: c.fund,
        claimant: c.key(),
        payout_owner,
        caps_before,
        caps_after: caps,
        enabled_before,
        enabled_after: enabled,
    });
    Ok(())
}
