use crate::error::FundError;
use crate::events::GuardianSet;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SetGuardian<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Sets or clears the guardian.
///
/// Specification:
/// - Only governance may call (`NotGovernance`).
/// - `guardian`, when given, must not be the default key (`InvalidGovernance`); `None`
///   clears the role.
/// - Changes only the guardian.
/// - Emits `GuardianSet` with the guardian before and after (default key = unset).
pub fn handler(ctx: Context<SetGuardian>, guardian: Option<Pubkey>) -> Result<()> {
    let new_guardian = guardian.unwrap_or_default();
    require!(
        guardian.is_none() || new_guardian != Pubkey::default(),
        FundError::InvalidGovernance
    );
    let mut fund = ctx.accounts.fund.load_mut()?;
    let before = fund.guardian;
    fund.guardian = new_guardian;
    fund.invariant()?;

    emit!(GuardianSet {
        fund: ctx.accounts.fund.key(),
        before,
        after: new_guardian,
    });
    Ok(())
}
