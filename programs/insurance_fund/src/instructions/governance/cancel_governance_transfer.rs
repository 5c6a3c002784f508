use crate::error::FundError;
use crate::events::GovernanceTransferCancelled;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CancelGovernanceTransfer<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Withdraws a pending governance transfer.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - A transfer must be pending (`NoPendingGovernance`).
/// - Clears `pending_governance`.
/// - Emits `GovernanceTransferCancelled` with the key that was pending.
pub fn cancel_governance_transfer(ctx: Context<CancelGovernanceTransfer>) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    require!(
        fund.has_pending_governance(),
        FundError::NoPendingGovernance
    );
    let cancelled = fund.pending_governance;
    fund.pending_governance = Pubkey::default();
    fund.invariant()?;

    emit!(GovernanceTransferCancelled {
        fund: ctx.accounts.fund.key(),
        governance: fund.governance,
        cancelled,
    });
    Ok(())
}
