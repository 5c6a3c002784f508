use crate::error::FundError;
use crate::events::ClaimantRegistered;
use crate::state::{seeds::SEED_CLAIMANT, Claimant, ClaimantCaps, Fund};
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(authority: Pubkey)]
pub struct RegisterClaimant<'info> {
    pub governance: Signer<'info>,
    #[account(has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(
        init,
        payer = payer,
        space = Claimant::SPACE,
        seeds = [SEED_CLAIMANT, fund.key().as_ref(), authority.as_ref()],
        bump,
    )]
    pub claimant: Account<'info, Claimant>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// Registers a claimant: who may declare shortfalls and draw, where payouts go, and caps.
///
/// Specification:
/// - Only governance may call (`NotGovernance`); `payer` pays the rent.
/// - The claimant account is PDA `["claimant", fund, authority]`; registering the same
///   authority twice fails (the account exists).
/// - `authority` and `payout_owner` are not the default key (`InvalidGovernance`), and the
///   payout owner is not the fund itself (`InvalidPayoutOwner`).
/// - Caps are positive and none above the lifetime cap (`InvalidClaimantCaps`).
/// - Creates the claimant enabled, with nothing drawn.
/// - Emits `ClaimantRegistered`.
pub fn handler(
    ctx: Context<RegisterClaimant>,
    authority: Pubkey,
    payout_owner: Pubkey,
    caps: ClaimantCaps,
) -> Result<()> {
    require!(
        authority != Pubkey::default() && payout_owner != Pubkey::default(),
        FundError::InvalidGovernance
    );
    // the fund's own vaults are owned by the fund: paying "to" them would credit a shortfall
    // without any tokens leaving
    require_keys_neq!(
        payout_owner,
        ctx.accounts.fund.key(),
        FundError::InvalidPayoutOwner
    );
    let claimant = &mut ctx.accounts.claimant;
    claimant.set_inner(Claimant {
        fund: ctx.accounts.fund.key(),
        authority,
        payout_owner,
        caps,
        drawn_lifetime: 0,
        window_level: 0,
        window_updated_at: 0,
        open_shortfalls: 0,
        enabled: true,
        bump: ctx.bumps.claimant,
    });
    claimant.invariant()?;
    emit!(ClaimantRegistered {
        fund: claimant.fund,
        claimant: claimant.key(),
        authority,
        payout_owner,
        caps,
    });
    Ok(())
}
