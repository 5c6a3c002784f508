use crate::create::init_record;
use crate::error::FundError;
use crate::events::ShortfallDeclared;
use crate::state::{
    pause_flags, seeds::SEED_SHORTFALL, Claimant, Fund, Shortfall, ShortfallStatus,
};
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(id: u64)]
pub struct DeclareShortfall<'info> {
    /// The claimant's authority (directly or through `invoke_signed`), or governance on its
    /// behalf.
    pub declarer: Signer<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(mut, has_one = fund @ FundError::ClaimantFundMismatch)]
    pub claimant: Account<'info, Claimant>,
    /// The shortfall record, created by the handler at this PDA (`create::init_record`, which also
    /// works when someone sent lamports to the address first).
    /// CHECK: the seeds fix the address; the handler creates and writes the account.
    #[account(
        mut,
        seeds = [SEED_SHORTFALL, fund.key().as_ref(), &id.to_le_bytes()],
        bump,
    )]
    pub shortfall: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// Declares bad debt for the fund to cover.
///
/// Specification:
/// - The claimant's authority or governance signs (`NotClaimantOrGovernance`); `payer` pays
///   the record's rent (returned by `close_shortfall`).
/// - The claimant belongs to this fund (`ClaimantFundMismatch`) and is enabled
///   (`ClaimantDisabled`).
/// - Draws are configured (`DrawsNotConfigured`); declarations are not paused
///   (`DeclarationsPaused`).
/// - `amount` > 0 (`ZeroAmount`).
/// - `id` is the fund's next shortfall id (`ShortfallIdMismatch`); the record is PDA
///   `["shortfall", fund, id]`, so ids are never reused. Lamports someone sent to the next
///   record's address beforehand do not block it (`create::create_pda`).
/// - Creates an open shortfall. It needs `approve_shortfall` before any draw when what the
///   claimant has declared without approval, counted cumulatively over the draw window (a
///   leaky bucket draining `approval_threshold` per window, `Claimant::admit_declaration`),
///   would pass the approval threshold with it: splitting a loss into small declarations
///   gains nothing. A declaration that needs no approval fills the claimant's bucket.
///   Governance declaring on a claimant's behalf is counted the same way.
/// - Increments the fund's shortfall counter and open count (shortfall mode) and the
///   claimant's open count; records now as the last crisis trigger (`Fund::crisis_seen_at`).
/// - Emits `ShortfallDeclared`.
pub fn declare_shortfall(
    ctx: Context<DeclareShortfall>,
    id: u64,
    amount: u64,
    reference: [u8; 32],
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut fund = ctx.accounts.fund.load_mut()?;
    let claimant = &mut ctx.accounts.claimant;
    let declarer = ctx.accounts.declarer.key();
    require!(
        declarer == claimant.authority || declarer == fund.governance,
        FundError::NotClaimantOrGovernance
    );
    require!(claimant.enabled, FundError::ClaimantDisabled);
    require!(fund.draws.is_configured(), FundError::DrawsNotConfigured);
    require!(
        !fund.is_paused(pause_flags::DECLARATIONS, now),
        FundError::DeclarationsPaused
    );
    require!(amount > 0, FundError::ZeroAmount);
    require!(
        id == fund.draw_state.shortfall_count,
        FundError::ShortfallIdMismatch
    );

    let needs_approval = claimant.admit_declaration(
        amount,
        fund.draws.approval_threshold,
        fund.draws.window_secs,
        now,
    )?;
    let fund_key = ctx.accounts.fund.key();
    let bump = ctx.bumps.shortfall;
    let record = Shortfall {
        fund: fund_key,
        claimant: claimant.key(),
        id,
        declared: amount,
        paid: 0,
        reference,
        status: ShortfallStatus::Open,
        needs_approval,
        approved: false,
        declared_at: now,
        rent_payer: ctx.accounts.payer.key(),
        bump,
    };
    init_record(
        &ctx.accounts.payer,
        &ctx.accounts.shortfall,
        Shortfall::SPACE,
        &[
            SEED_SHORTFALL,
            fund_key.as_ref(),
            &id.to_le_bytes(),
            &[bump],
        ],
        &record,
    )?;
    fund.open_shortfall_count(claimant, now)?;
    fund.invariant_flows()?;

    emit!(ShortfallDeclared {
        fund: ctx.accounts.fund.key(),
        shortfall: ctx.accounts.shortfall.key(),
        claimant: claimant.key(),
        declarer,
        id,
        amount,
        reference,
        needs_approval,
        open_shortfalls: fund.draw_state.open_shortfalls,
    });
    Ok(())
}
