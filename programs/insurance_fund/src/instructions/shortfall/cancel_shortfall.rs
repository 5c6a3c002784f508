use crate::error::FundError;
use crate::events::ShortfallClosed;
use crate::state::{Claimant, Fund, Shortfall, ShortfallStatus};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CancelShortfall<'info> {
    /// Governance or the claimant's authority.
    pub authority: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(mut, has_one = fund @ FundError::ClaimantFundMismatch)]
    pub claimant: Account<'info, Claimant>,
    #[account(
        mut,
        has_one = fund @ FundError::ShortfallMismatch,
        has_one = claimant @ FundError::ShortfallMismatch,
    )]
    pub shortfall: Account<'info, Shortfall>,
}

/// Cancels an open shortfall; whatever was paid stays paid.
///
/// Specification:
/// - Governance or the claimant's authority signs (`NotClaimantOrGovernance`); claimant and
///   shortfall belong to this fund and to each other (`ClaimantFundMismatch`,
///   `ShortfallMismatch`).
/// - The shortfall is open (`ShortfallNotOpen`).
/// - Marks it cancelled; decrements the fund's and the claimant's open counts; records now as
///   the last crisis trigger (`Fund::crisis_seen_at`: the crisis hold counts from it).
/// - Emits `ShortfallClosed` (cancelled, with the amount paid).
pub fn cancel_shortfall(ctx: Context<CancelShortfall>) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let claimant = &mut ctx.accounts.claimant;
    let signer = ctx.accounts.authority.key();
    require!(
        signer == claimant.authority || signer == fund.governance,
        FundError::NotClaimantOrGovernance
    );
    let s = &mut ctx.accounts.shortfall;
    require!(
        s.status == ShortfallStatus::Open,
        FundError::ShortfallNotOpen
    );
    s.status = ShortfallStatus::Cancelled;
    fund.close_shortfall_count(claimant, Clock::get()?.unix_timestamp)?;
    fund.invariant_flows()?;
    emit!(ShortfallClosed {
        fund: s.fund,
        shortfall: s.key(),
        id: s.id,
        declared: s.declared,
        paid: s.paid,
        cancelled: true,
    });
    Ok(())
}
