use super::fill::{plan_fill, PairAccounts};
use crate::error::FundError;
use crate::instructions_sysvar::{self, current_index, instruction_at, instruction_count};
use crate::state::{seeds::SEED_FUND, Fund};
use crate::token_policy::{token_amount, transfer_checked, TransferAccounts};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{get_stack_height, TRANSACTION_LEVEL_STACK_HEIGHT};
use anchor_lang::Discriminator;
use anchor_spl::token_interface::TokenInterface;

/// The first half of a flash fill. No token account is unpacked (as in `rebalance`).
#[derive(Accounts)]
pub struct RebalanceBegin<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    /// The under-weight asset the keeper will deliver before `rebalance_end`.
    /// CHECK: a registered asset's mint (looked up in the fund by key).
    pub mint_in: UncheckedAccount<'info>,
    /// CHECK: must be the vault address the fund stored for `mint_in`; only its balance is read.
    pub vault_in: UncheckedAccount<'info>,
    /// The over-weight asset lent to the keeper.
    /// CHECK: a registered asset's mint (looked up in the fund by key).
    pub mint_out: UncheckedAccount<'info>,
    /// CHECK: must be the vault address the fund stored for `mint_out`.
    #[account(mut)]
    pub vault_out: UncheckedAccount<'info>,
    /// The keeper's token account the lent asset goes to.
    /// CHECK: a token account of `mint_out` under its token program (checked in the handler).
    #[account(mut)]
    pub keeper_out: UncheckedAccount<'info>,
    pub token_program_out: Interface<'info, TokenInterface>,
    /// CHECK: the instructions sysvar (address checked), read for the matching end.
    #[account(address = instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
}

/// Opens a flash fill: lends `amount_out` of an over-weight asset to the keeper, who may
/// route it through any program (a DEX, an aggregator) in the instructions that follow and
/// must deliver the under-weight asset into `vault_in` before `rebalance_end`, later in the
/// same transaction, which prices and checks the fill exactly as `rebalance` does.
///
/// Specification:
/// - Any keeper may call; `keeper` signs. Called at the top level of the transaction, not
///   through CPI (`FlashFillNotTopLevel`).
/// - The fund is not already in a flash fill (`FlashFillInProgress`: read from the fund
///   first thing in `fill::plan_fill`; every other instruction checks it in `lib.rs`).
/// - `vault_out` and `keeper_out` are distinct (`ConstraintDuplicateMutableAccount`).
/// - `amount_out` > 0 (`ZeroAmount`) and at most the out-asset's booked balance
///   (`InsufficientVaultBalance`).
/// - The checks of `rebalance` that need no transfer, in its order (`fill::plan_fill`): not
///   paused, configured, targets set, pair registered and distinct, vaults the fund's, the
///   out token program the asset's, `keeper_out` a token account of `mint_out`, the flags,
///   both prices fresh, the shortfall / stale-price mode.
/// - A later instruction of this transaction, at the top level, is this program's
///   `rebalance_end` naming the same keeper, fund, in-vault and out-vault (the first such
///   end after this instruction; `FlashFillEndMissing`). Any instruction of this program in
///   between fails with `FlashFillInProgress`, so the end it names is the one that closes
///   this fill.
/// - Records both vaults' balances, the stale mask, the pair's premium, sale price, floor and
///   mode, and the pair in `Fund::flash`, and sets the lock.
/// - Moves `amount_out` from the out-vault to `keeper_out` (the fund signs). Nothing is
///   booked until `rebalance_end`.
pub fn rebalance_begin(ctx: Context<RebalanceBegin>, amount_out: u64) -> Result<()> {
    let a = &ctx.accounts;
    require!(
        get_stack_height() == TRANSACTION_LEVEL_STACK_HEIGHT,
        FundError::FlashFillNotTopLevel
    );
    require!(
        a.vault_out.key != a.keeper_out.key,
        anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount
    );
    require!(amount_out > 0, FundError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let (plan, decimals_out, create_key, bump) = {
        let fund = a.fund.load()?;
        let plan = plan_fill(
            &fund,
            &PairAccounts {
                mint_in: a.mint_in.key,
                vault_in: a.vault_in.key,
                mint_out: a.mint_out.key,
                vault_out: a.vault_out.key,
                token_program_out: a.token_program_out.key,
                keeper_out: &a.keeper_out,
                delivery: None,
            },
            now,
        )?;
        require!(
            amount_out <= fund.assets[plan.o].booked_balance,
            FundError::InsufficientVaultBalance
        );
        (
            plan,
            fund.assets[plan.o].decimals,
            fund.create_key,
            fund.bump,
        )
    };
    require_end_follows(a)?;

    let vault_out = a.vault_out.to_account_info();
    {
        let mut fund = a.fund.load_mut()?;
        let flash = &mut fund.flash;
        flash.vault_in_before = token_amount(&a.vault_in)?;
        flash.vault_out_before = token_amount(&vault_out)?;
        flash.sale = plan.out.sale.mantissa;
        flash.floor = plan.out.floor.map_or(0, |p| p.mantissa);
        flash.crisis = u8::from(plan.terms.crisis);
        flash.stale = plan.stale;
        flash.premium_bps = plan.premium_bps;
        flash.in_index = plan.i as u8;
        flash.out_index = plan.o as u8;
        flash.active = 1;
    }
    let bump_seed = [bump];
    let seeds: &[&[u8]] = &[SEED_FUND, create_key.as_ref(), &bump_seed];
    transfer_checked(
        a.token_program_out.key,
        TransferAccounts {
            from: &vault_out,
            mint: &a.mint_out,
            to: &a.keeper_out,
            authority: a.fund.as_ref(),
        },
        amount_out,
        decimals_out,
        &[seeds],
    )
}

/// The first `rebalance_end` of this program after the current instruction names the same
/// keeper, fund and vaults (accounts 0–3 of `RebalanceEnd`).
fn require_end_follows(a: &RebalanceBegin) -> Result<()> {
    let data = a.instructions.try_borrow_data()?;
    let bad = || error!(FundError::InvalidInstructionsSysvar);
    let current = current_index(&data).ok_or_else(bad)?;
    let count = instruction_count(&data).ok_or_else(bad)?;
    for k in current.saturating_add(1)..count {
        let ix = instruction_at(&data, k).ok_or_else(bad)?;
        if ix.program_id != crate::ID
            || !ix
                .data
                .starts_with(crate::instruction::RebalanceEnd::DISCRIMINATOR)
        {
            continue;
        }
        let expected = [
            a.keeper.key,
            a.fund.as_ref().key,
            a.vault_in.key,
            a.vault_out.key,
        ];
        for (slot, key) in expected.into_iter().enumerate() {
            require!(
                ix.account(slot).as_ref() == Some(key),
                FundError::FlashFillEndMissing
            );
        }
        return Ok(());
    }
    err!(FundError::FlashFillEndMissing)
}
