//! # Mock liquidator (test only, never deployed)
//!
//! Stands in for a production liquidation program: it owns the PDA `["liquidator"]`, which
//! governance registers as a claimant of the insurance fund, and reaches the fund only
//! through CPI, signing as that PDA with `invoke_signed`.
//!
//! - `declare` forwards to `insurance_fund::declare_shortfall` (the PDA is the `declarer`; a
//!   separate `payer` pays the shortfall record's rent).
//! - `draw` forwards to `insurance_fund::draw`, passing its own remaining accounts (the
//!   fund's payout groups `[vault, mint, payout token account, token program]`) unchanged.
//!
//! - `relay` calls the fund with the instruction data it is given and its remaining accounts
//!   as the accounts (signer and writable as passed): how the tests reach any fund
//!   instruction through CPI (e.g. a flash fill, which must refuse it).
//!
//! It checks only its PDA (and, in `draw`, that `shortfall` is the fund's record for `id`):
//! every check under test is the fund's.
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;
use insurance_fund::program::InsuranceFund;
use insurance_fund::state::seeds::SEED_SHORTFALL;

declare_id!("BNG9DkhEJmMsCYRf7SEWmduGV718jZuTmRFWFDWZQNUC");

/// Seed of the program's authority PDA, the claimant authority it signs as.
pub const SEED_AUTHORITY: &[u8] = b"liquidator";

/// The authority PDA `["liquidator"]` and its bump.
pub fn authority_address() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[SEED_AUTHORITY], &ID)
}

#[program]
pub mod mock_liquidator {
    use super::*;

    /// Declares shortfall `id` of `amount` through CPI, the PDA signing as `declarer`.
    pub fn declare(ctx: Context<Declare>, id: u64, amount: u64, reference: [u8; 32]) -> Result<()> {
        let bump = [ctx.bumps.authority];
        let seeds: &[&[u8]] = &[SEED_AUTHORITY, &bump];
        let signer = &[seeds];
        let a = &ctx.accounts;
        let accounts = insurance_fund::cpi::accounts::DeclareShortfall {
            declarer: a.authority.to_account_info(),
            payer: a.payer.to_account_info(),
            fund: a.fund.to_account_info(),
            claimant: a.claimant.to_account_info(),
            shortfall: a.shortfall.to_account_info(),
            system_program: a.system_program.to_account_info(),
        };
        insurance_fund::cpi::declare_shortfall(
            CpiContext::new_with_signer(insurance_fund::ID, accounts, signer),
            id,
            amount,
            reference,
        )
    }

    /// Calls the fund with `data`, its remaining accounts as the instruction's accounts.
    pub fn relay<'info>(ctx: Context<'info, Relay<'info>>, data: Vec<u8>) -> Result<()> {
        let accounts = ctx
            .remaining_accounts
            .iter()
            .map(|a| {
                if a.is_writable {
                    AccountMeta::new(a.key(), a.is_signer)
                } else {
                    AccountMeta::new_readonly(a.key(), a.is_signer)
                }
            })
            .collect();
        let ix = anchor_lang::solana_program::instruction::Instruction {
            program_id: insurance_fund::ID,
            accounts,
            data,
        };
        let mut infos = ctx.remaining_accounts.to_vec();
        infos.push(ctx.accounts.insurance_fund_program.to_account_info());
        anchor_lang::solana_program::program::invoke(&ix, &infos)?;
        Ok(())
    }

    /// Draws up to `max_value` toward shortfall `id` through CPI, the PDA signing as the
    /// claimant's `authority`; remaining accounts are passed through unchanged. (`id` only
    /// pins the shortfall account, see [`Draw`].)
    pub fn draw<'info>(ctx: Context<'info, Draw<'info>>, id: u64, max_value: u64) -> Result<()> {
        let _ = id; // already used by `Draw`'s seeds constraint on `shortfall`
        let bump = [ctx.bumps.authority];
        let seeds: &[&[u8]] = &[SEED_AUTHORITY, &bump];
        let signer = &[seeds];
        let a = &ctx.accounts;
        let accounts = insurance_fund::cpi::accounts::Draw {
            authority: a.authority.to_account_info(),
            fund: a.fund.to_account_info(),
            claimant: a.claimant.to_account_info(),
            shortfall: a.shortfall.to_account_info(),
        };
        insurance_fund::cpi::draw(
            CpiContext::new_with_signer(insurance_fund::ID, accounts, signer)
                .with_remaining_accounts(ctx.remaining_accounts.to_vec()),
            max_value,
        )
    }
}

#[derive(Accounts)]
pub struct Relay<'info> {
    pub insurance_fund_program: Program<'info, InsuranceFund>,
}

#[derive(Accounts)]
pub struct Declare<'info> {
    /// CHECK: the program's PDA; it holds no data and only signs (through `invoke_signed`).
    #[account(seeds = [SEED_AUTHORITY], bump)]
    pub authority: UncheckedAccount<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    /// CHECK: validated by the insurance fund.
    #[account(mut)]
    pub fund: UncheckedAccount<'info>,
    /// CHECK: validated by the insurance fund.
    #[account(mut)]
    pub claimant: UncheckedAccount<'info>,
    /// CHECK: created and validated by the insurance fund.
    #[account(mut)]
    pub shortfall: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
    pub insurance_fund_program: Program<'info, InsuranceFund>,
}

#[derive(Accounts)]
#[instruction(id: u64)]
pub struct Draw<'info> {
    /// CHECK: the program's PDA; it holds no data and only signs (through `invoke_signed`).
    #[account(seeds = [SEED_AUTHORITY], bump)]
    pub authority: UncheckedAccount<'info>,
    /// CHECK: validated by the insurance fund.
    #[account(mut)]
    pub fund: UncheckedAccount<'info>,
    /// CHECK: validated by the insurance fund.
    #[account(mut)]
    pub claimant: UncheckedAccount<'info>,
    /// CHECK: the fund's record `["shortfall", fund, id]` (pinned here, as a liquidator
    /// would, to the shortfall it means); its contents are validated by the insurance fund.
    #[account(
        mut,
        seeds = [SEED_SHORTFALL, fund.key().as_ref(), &id.to_le_bytes()],
        bump,
        seeds::program = insurance_fund::ID,
    )]
    pub shortfall: UncheckedAccount<'info>,
    pub insurance_fund_program: Program<'info, InsuranceFund>,
}
