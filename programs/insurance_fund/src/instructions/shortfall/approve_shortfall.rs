use crate::error::FundError;
use crate::events::ShortfallApproved;
use crate::state::{Fund, Shortfall, ShortfallStatus};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ApproveShortfall<'info> {
    pub governance: Signer<'info>,
    #[account(has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(mut, has_one = fund @ FundError::ShortfallMismatch)]
    pub shortfall: Account<'info, Shortfall>,
}

/// Approves a shortfall declared above the approval threshold, making it drawable.
///
/// Specification:
/// - Only governance may call (`NotGovernance`); the shortfall belongs to this fund
///   (`ShortfallMismatch`).
/// - The shortfall is open (`ShortfallNotOpen`), needs approval and is not yet approved
///   (`ShortfallApprovalNotNeeded`).
/// - Marks it approved.
/// - Emits `ShortfallApproved`.
pub fn approve_shortfall(ctx: Context<ApproveShortfall>) -> Result<()> {
    let s = &mut ctx.accounts.shortfall;
    require!(
        s.status == ShortfallStatus::Open,
        FundError::ShortfallNotOpen
    );
    require!(
        s.needs_approval && !s.approved,
        FundError::ShortfallApprovalNotNeeded
    );
    s.approved = true;
    emit!(ShortfallApproved {
        fund: s.fund,
        shortfall: s.key(),
        id: s.id,
        declared: s.declared,
    });
    Ok(())
}
