use crate::error::FundError;
use crate::events::ClaimantRemoved;
use crate::state::{Claimant, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct RemoveClaimant<'info> {
    pub governance: Signer<'info>,
    #[account(has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(mut, has_one = fund @ FundError::ClaimantFundMismatch, close = rent_receiver)]
    pub claimant: Account<'info, Claimant>,
    /// CHECK: receives the claimant account's rent; any account governance chooses.
    #[account(mut)]
    pub rent_receiver: UncheckedAccount<'info>,
}

/// Removes a claimant and returns its rent.
///
/// Specification:
/// - Only governance may call (`NotGovernance`); the claimant belongs to this fund
///   (`ClaimantFundMismatch`).
/// - The claimant has no open shortfall (`ClaimantHasOpenShortfalls`): cancel them first.
/// - Closes the claimant account (rent to `rent_receiver`); its authority can then neither
///   declare nor draw, and can only come back through `register_claimant`.
/// - Emits `ClaimantRemoved`.
pub fn remove_claimant(ctx: Context<RemoveClaimant>) -> Result<()> {
    let c = &ctx.accounts.claimant;
    c.check_removable()?;
    emit!(ClaimantRemoved {
        fund: c.fund,
        claimant: c.key(),
        authority: c.authority,
        drawn_lifetime: c.drawn_lifetime,
    });
    Ok(())
}
