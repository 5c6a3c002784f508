use super::fill::{book_fill, fill_event, price_fill, FillPlan};
use crate::error::FundError;
use crate::math::rebalance::OutPricing;
use crate::math::valuation::Price;
use crate::state::{FlashFill, Fund};
use crate::token_policy::token_amount;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{get_stack_height, TRANSACTION_LEVEL_STACK_HEIGHT};

/// The second half of a flash fill. The order of the first four accounts is what
/// `rebalance_begin` looks for.
#[derive(Accounts)]
pub struct RebalanceEnd<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    /// CHECK: must be the in-vault of the fill in progress; only its balance is read.
    pub vault_in: UncheckedAccount<'info>,
    /// CHECK: must be the out-vault of the fill in progress; only its balance is read.
    pub vault_out: UncheckedAccount<'info>,
}

/// Closes a flash fill: measures what the keeper delivered and what left the fund since
/// `rebalance_begin`, prices and checks the fill as `rebalance` does, and books it, or fails
/// and with it the whole transaction (the lent asset returns with it).
///
/// Specification:
/// - `keeper` signs (`rebalance_begin` required this keeper's end). Called at the top level
///   (`FlashFillNotTopLevel`).
/// - A flash fill is in progress on the fund (`FlashFillNotStarted`) and the vaults are its
///   pair's (`FlashFillMismatch`).
/// - Received = the in-vault's balance now minus at begin, > 0 (`NothingReceived`; a Token-2022
///   transfer fee on the delivery is not received). Taken = the out-vault's balance at begin
///   minus now (what the keeper returned in between is not taken).
/// - Taken is at most what the received amount pays at the premium recorded at begin
///   (`FlashFillUnderpaid`); the keeper is charged the premium on what it took
///   (`FillQuote::taking`).
/// - Every bound of `rebalance`, in its order, on the received and taken amounts with the
///   stale mask recorded at begin (`fill::price_fill`: the engine's checks,
///   `AuctionNotStarted`, `TradeTooSmall`, `VolumeCapExceeded`, `PremiumBudgetExceeded`).
/// - Clears the lock; books the fill as `rebalance` does (`fill::book_fill`).
/// - Emits `Rebalanced` with `flash` set.
pub fn rebalance_end(ctx: Context<RebalanceEnd>) -> Result<()> {
    let a = &ctx.accounts;
    require!(
        get_stack_height() == TRANSACTION_LEVEL_STACK_HEIGHT,
        FundError::FlashFillNotTopLevel
    );
    let now = Clock::get()?.unix_timestamp;
    let mut fund = a.fund.load_mut()?;
    let flash = fund.flash;
    require!(flash.is_active(), FundError::FlashFillNotStarted);
    let (i, o) = (usize::from(flash.in_index), usize::from(flash.out_index));
    let ao = &fund.assets[o];
    let expo = ao.upper_price().expo;
    let plan = FillPlan {
        i,
        o,
        stale: flash.stale,
        premium_bps: flash.premium_bps,
        out: OutPricing {
            sale: Price {
                mantissa: flash.sale,
                expo,
            },
            floor: (flash.floor > 0).then_some(Price {
                mantissa: flash.floor,
                expo,
            }),
            lo: ao.lower_price(),
        },
        terms: fund.rebalance.terms(flash.crisis == 1),
        // the begin's targets: they depend only on the mode and the targets as set
        tilt: fund.target_tilt(flash.crisis == 1),
    };
    require_keys_eq!(
        a.vault_in.key(),
        fund.assets[plan.i].vault,
        FundError::FlashFillMismatch
    );
    require_keys_eq!(
        a.vault_out.key(),
        fund.assets[plan.o].vault,
        FundError::FlashFillMismatch
    );
    let received = token_amount(&a.vault_in)?.saturating_sub(flash.vault_in_before);
    require!(received > 0, FundError::NothingReceived);
    let taken = flash
        .vault_out_before
        .saturating_sub(token_amount(&a.vault_out)?);

    let fill = price_fill(&fund, &plan, received, Some(taken), now)?;
    fund.flash = FlashFill::default();
    book_fill(&mut fund, &plan, received, &fill, now)?;
    let mints = (fund.assets[plan.i].mint, fund.assets[plan.o].mint);
    drop(fund);
    emit!(fill_event(
        a.fund.key(),
        a.keeper.key(),
        mints,
        (received, received),
        &plan,
        &fill,
        true,
    ));
    Ok(())
}
