use crate::error::FundError;
use crate::events::GovernanceTransferred;
use crate::math::SafeMath;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AcceptGovernance<'info> {
    pub new_governance: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Second step of a governance transfer: the proposed successor takes over.
///
/// Specification:
/// - A transfer must be pending (`NoPendingGovernance`).
/// - Only the pending governance may call (`NotPendingGovernance`).
/// - Sets `governance` to the signer, clears `pending_governance`, and increments
///   `governance_epoch`: every change queued under the previous governance becomes void
///   (executing it fails with `PendingChangeStale`; anyone may cancel it).
/// - Emits `GovernanceTransferred` with governance before and after.
pub fn accept_governance(ctx: Context<AcceptGovernance>) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    require!(
        fund.has_pending_governance(),
        FundError::NoPendingGovernance
    );
    require_keys_eq!(
        fund.pending_governance,
        ctx.accounts.new_governance.key(),
        FundError::NotPendingGovernance
    );
    let before = fund.governance;
    fund.governance = fund.pending_governance;
    fund.pending_governance = Pubkey::default();
    fund.governance_epoch = fund.governance_epoch.safe_add(1)?;
    fund.invariant()?;

    emit!(GovernanceTransferred {
        fund: ctx.accounts.fund.key(),
        before,
        after: fund.governance,
    });
    Ok(())
}
