use crate::create::init_record;
use crate::events::ClaimantRegistered;
use crate::state::{seeds::SEED_CLAIMANT, Claimant, ClaimantCaps, Fund};
use crate::timelock::{authorize_change, change_authority, ConfigChange};
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(claimant_authority: Pubkey)]
pub struct RegisterClaimant<'info> {
    /// Governance, or anyone executing a matured queued change (`timelock::authorize_change`).
    pub authority: Signer<'info>,
    /// Writable: the registration takes the fund's next configuration stamp.
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    /// The claimant record, created by the handler at this PDA (`create::init_record`, which also
    /// works when someone sent lamports to the address first).
    /// CHECK: the seeds fix the address; the handler creates and writes the account.
    #[account(
        mut,
        seeds = [SEED_CLAIMANT, fund.key().as_ref(), claimant_authority.as_ref()],
        bump,
    )]
    pub claimant: UncheckedAccount<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
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

/// Registers a claimant: who may declare shortfalls and draw, where payouts go, and caps.
///
/// Specification:
/// - Governance may call (`NotGovernance`), but a change that loosens needs a zero timelock
///   (`TimelockRequired`); or anyone may call with the matured queued change, which is then
///   closed (`PendingChangeMismatch`, `PendingChangeStale`, `TimelockNotElapsed`,
///   `RentRecipientMismatch`). One function decides: `timelock::authorize_change`.
/// - The change loosens (so it waits for the timelock) when: always.
/// - `payer` pays the rent.
/// - The claimant account is PDA `["claimant", fund, claimant_authority]`; registering the same
///   authority twice fails (`AccountAlreadyExists`). Lamports someone sent to the address
///   beforehand do not block it (`create::create_pda`).
/// - `claimant_authority` and `payout_owner` are not the default key (`InvalidGovernance`), and the
///   payout owner is not the fund itself (`InvalidPayoutOwner`).
/// - Caps are positive and none above the lifetime cap (`InvalidClaimantCaps`).
/// - Creates the claimant enabled, with nothing drawn.
/// - Emits `ClaimantRegistered`.
pub fn register_claimant(
    ctx: Context<RegisterClaimant>,
    claimant_authority: Pubkey,
    payout_owner: Pubkey,
    caps: ClaimantCaps,
) -> Result<()> {
    let change = ConfigChange::RegisterClaimant {
        authority: claimant_authority,
        payout_owner,
        caps,
    };
    let (authorized, config_seq) = {
        let mut fund = ctx.accounts.fund.load_mut()?;
        let authorized = authorize_change(
            &fund,
            ctx.accounts.fund.key(),
            change_authority!(ctx.accounts),
            &change,
            None,
        )?;
        (authorized, fund.next_config_seq()?)
    };
    let fund_key = ctx.accounts.fund.key();
    let bump = ctx.bumps.claimant;
    let claimant = Claimant::register(
        fund_key,
        claimant_authority,
        payout_owner,
        caps,
        config_seq,
        bump,
    )?;
    init_record(
        &ctx.accounts.payer,
        &ctx.accounts.claimant,
        Claimant::SPACE,
        &[
            SEED_CLAIMANT,
            fund_key.as_ref(),
            claimant_authority.as_ref(),
            &[bump],
        ],
        &claimant,
    )?;
    // after the creating CPIs (see `authorize_change`)
    authorized.consume()?;
    emit!(ClaimantRegistered {
        fund: claimant.fund,
        claimant: ctx.accounts.claimant.key(),
        authority: claimant_authority,
        payout_owner,
        caps,
    });
    Ok(())
}
