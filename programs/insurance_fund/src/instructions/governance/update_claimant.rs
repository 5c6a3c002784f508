use crate::error::FundError;
use crate::events::ClaimantUpdated;
use crate::state::{Claimant, ClaimantCaps, Fund};
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct UpdateClaimant<'info> {
    /// Governance, or anyone executing a matured queued change (`timelock::authorize_change`).
    pub authority: Signer<'info>,
    /// Writable: the change takes the fund's next configuration stamp.
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(mut, has_one = fund @ FundError::ClaimantFundMismatch)]
    pub claimant: Account<'info, Claimant>,
    /// CHECK: the queued change being executed (a `PendingChange`), omitted when governance
    /// applies the change itself; `timelock::authorize_change` loads it (owner and
    /// discriminator) and checks its contents, in one place for every instruction.
    #[account(mut)]
    pub pending_change: Option<UncheckedAccount<'info>>,
    /// CHECK: receives the queued change's rent; `timelock::authorize_change` checks it is the
    /// change's payer.
    #[account(mut)]
    pub rent_recipient: Option<UncheckedAccount<'info>>,
}

/// Changes a claimant's caps, payout owner, or enables/disables it.
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: the payout owner changes, a cap
///   rises, or a disabled claimant is enabled.
/// - The claimant belongs to this fund (`ClaimantFundMismatch`).
/// - `payout_owner` is not the default key (`InvalidGovernance`) nor the fund itself
///   (`InvalidPayoutOwner`); caps are valid
///   (`InvalidClaimantCaps`).
/// - Replaces caps, payout owner and the enabled flag; drawn amounts are kept.
/// - Emits `ClaimantUpdated` with caps and flag before and after.
pub fn update_claimant(
    ctx: Context<UpdateClaimant>,
    payout_owner: Pubkey,
    caps: ClaimantCaps,
    enabled: bool,
) -> Result<()> {
    let change = ConfigChange::UpdateClaimant {
        authority: ctx.accounts.claimant.authority,
        payout_owner,
        caps,
        enabled,
    };
    let config_seq = {
        let mut fund = ctx.accounts.fund.load_mut()?;
        authorize_change(
            &fund,
            ctx.accounts.fund.key(),
            change_authority!(ctx.accounts),
            &change,
            Some(&ctx.accounts.claimant),
        )?
        .consume()?;
        fund.next_config_seq()?
    };
    let c = &mut ctx.accounts.claimant;
    let before = c.update(payout_owner, caps, enabled, config_seq)?;
    emit!(ClaimantUpdated {
        fund: c.fund,
        claimant: c.key(),
        payout_owner,
        caps_before: before.caps,
        caps_after: caps,
        enabled_before: before.enabled,
        enabled_after: enabled,
    });
    Ok(())
}
