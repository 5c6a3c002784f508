use crate::error::FundError;
use crate::events::GovernanceTransferProposed;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ProposeGovernance<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// First step of a governance transfer: names the successor, who must accept.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `new_governance` is neither the default key nor the current governance
///   (`InvalidGovernance`).
/// - Sets `pending_governance` (replacing any earlier proposal); governance is unchanged until
///   `accept_governance`.
/// - Emits `GovernanceTransferProposed` with the pending key before and after.
pub fn propose_governance(ctx: Context<ProposeGovernance>, new_governance: Pubkey) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let before = fund.propose_governance(new_governance)?;
    fund.invariant()?;

    emit!(GovernanceTransferProposed {
        fund: ctx.accounts.fund.key(),
        governance: fund.governance,
        pending_before: before,
        pending_after: new_governance,
    });
    Ok(())
}
