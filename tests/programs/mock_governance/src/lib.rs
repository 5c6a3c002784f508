//! # Mock governance (test only, never deployed)
//!
//! Stands in for a Squads v4 multisig or an SPL Governance DAO: its PDA `["treasury"]` is an
//! insurance fund's `governance`, and an approved proposal reaches the fund only as an
//! instruction this program executes with `invoke_signed`, the treasury signing (and paying
//! rent, as a Squads vault does).
//!
//! `execute` runs one instruction of `target_program` with the given data over the remaining
//! accounts, in order, marking the treasury a signer wherever it appears. It checks nothing
//! else: whether the proposal passed is the real governance program's business, and every
//! check under test is the fund's.
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

declare_id!("2hMDBadYZJYcyugEvoQsEELusAra6nHjTMfW4UDv139r");

/// Seed of the treasury PDA, the fund's governance.
pub const SEED_TREASURY: &[u8] = b"treasury";

/// The treasury PDA `["treasury"]` and its bump.
pub fn treasury_address() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[SEED_TREASURY], &ID)
}

#[program]
pub mod mock_governance {
    use super::*;

    /// Executes `data` on `target_program` with the remaining accounts, the treasury signing.
    pub fn execute<'info>(ctx: Context<'info, Execute<'info>>, data: Vec<u8>) -> Result<()> {
        let treasury = ctx.accounts.treasury.key();
        let ix = Instruction {
            program_id: ctx.accounts.target_program.key(),
            accounts: ctx
                .remaining_accounts
                .iter()
                .map(|a| AccountMeta {
                    pubkey: a.key(),
                    is_signer: a.is_signer || a.key() == treasury,
                    is_writable: a.is_writable,
                })
                .collect(),
            data,
        };
        let mut infos = ctx.remaining_accounts.to_vec();
        infos.push(ctx.accounts.target_program.to_account_info());
        let bump = [ctx.bumps.treasury];
        invoke_signed(&ix, &infos, &[&[SEED_TREASURY, &bump]])?;
        Ok(())
    }
}

#[derive(Accounts)]
pub struct Execute<'info> {
    /// CHECK: the program's PDA; holds lamports only and signs through `invoke_signed`.
    #[account(mut, seeds = [SEED_TREASURY], bump)]
    pub treasury: UncheckedAccount<'info>,
    /// CHECK: any program; the executed instruction is the proposal's.
    pub target_program: UncheckedAccount<'info>,
}
