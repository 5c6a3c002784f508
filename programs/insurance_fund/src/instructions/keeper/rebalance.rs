use super::fill::{book_fill, fill_event, plan_fill, price_fill, PairAccounts};
use crate::error::FundError;
use crate::math::SafeMath;
use crate::state::{seeds::SEED_FUND, Fund};
use crate::token_policy::{token_amount, transfer_checked, TransferAccounts};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

/// The keeper's hot path, so no token account is unpacked: mints and vaults are checked
/// against the addresses the fund stored at `add_asset` (only those exact accounts pass), and
/// the keeper's accounts' owner program, state and mint are read from their fixed layout.
#[derive(Accounts)]
pub struct Rebalance<'info> {
    pub keeper: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    /// The under-weight asset the keeper delivers.
    /// CHECK: a registered asset's mint (looked up in the fund by key).
    pub mint_in: UncheckedAccount<'info>,
    /// CHECK: must be the vault address the fund stored for `mint_in`.
    #[account(mut)]
    pub vault_in: UncheckedAccount<'info>,
    /// The keeper's token account the delivered asset comes from; `keeper` must be its owner
    /// or delegate (checked by the token program).
    /// CHECK: a token account of `mint_in` under its token program (checked in the handler).
    #[account(mut)]
    pub keeper_in: UncheckedAccount<'info>,
    /// The over-weight asset the keeper receives.
    /// CHECK: a registered asset's mint (looked up in the fund by key).
    pub mint_out: UncheckedAccount<'info>,
    /// CHECK: must be the vault address the fund stored for `mint_out`.
    #[account(mut)]
    pub vault_out: UncheckedAccount<'info>,
    /// The keeper's token account the received asset goes to.
    /// CHECK: a token account of `mint_out` under its token program (checked in the handler).
    #[account(mut)]
    pub keeper_out: UncheckedAccount<'info>,
    pub token_program_in: Interface<'info, TokenInterface>,
    pub token_program_out: Interface<'info, TokenInterface>,
}

/// A keeper fill of a rebalance auction: the keeper delivers `amount_in` of an under-weight
/// asset and receives an over-weight asset at the oracle rate plus the auction's current
/// premium.
///
/// Pricing: what arrives is valued at the in-asset's lower price bound after its haircut
/// (what NAV books); the keeper receives that value times `1 + premium`, converted at the
/// out-asset's sale price, rounded down. The sale price is its upper bound, except for a risk
/// asset priced by an oracle when the terms allow a discount (gap clearing): it then falls
/// over the auction to `(spot - conf) * (1 - max_discount)`, and the keeper never gets more
/// than the delivered value at that floor (`math::rebalance::quote_sale`). NAV falls by at most
/// the premium, which counts any sale below the booked price.
///
/// Specification:
/// - Any keeper may call; `keeper` signs for `keeper_in`.
/// - `vault_in`, `keeper_in`, `vault_out` and `keeper_out` are four distinct accounts
///   (`ConstraintDuplicateMutableAccount`).
/// - `amount_in` > 0 (`ZeroAmount`).
/// - Rebalances are not paused (`RebalancesPaused`); rebalancing is configured
///   (`RebalanceNotConfigured`); targets are set (`TargetsNotSet`); both assets of the pair
///   have a fresh price (`PriceStale`), under the tighter of each asset's and the fund's max
///   age.
/// - Both mints are registered (`UnknownAsset`) and differ (`InvalidPair`); each vault is the
///   fund's vault for its mint (`VaultMismatch`); each token program is its asset's
///   (`TokenProgramMismatch`); `keeper_in` and `keeper_out` are initialized token accounts
///   of their asset's token program (`InvalidTokenAccount`), `keeper_in` holds `mint_in` and
///   `keeper_out` holds `mint_out` (`SourceMintMismatch`).
/// - The in-asset accepts keeper deliveries (`RebalanceInDisabled`), the out-asset keeper
///   withdrawals (`RebalanceOutDisabled`).
/// - While a shortfall is open (shortfall mode), only fills delivering a liquid asset for a
///   non-liquid one, which always raise the liquid share (`ShortfallModeLiquidOnly`); the
///   same while a risk asset's price has gapped past the crisis profile's trigger
///   (`PriceGapLiquidOnly`), while the crisis hold runs after either (`CrisisHoldLiquidOnly`,
///   `CrisisProfile::hold_secs`), and while another asset holds a balance at a stale price
///   (`StalePricesLiquidOnly`), which the fill then values at 0 (`Fund::check_fill_mode` says
///   why that is safe).
/// - Terms: in crisis mode (a shortfall open, a gap, or the hold after either:
///   `Fund::crisis_triggers`) the crisis profile's, when one is set (`Fund::fill_mode`); else
///   the normal ones. The pair's auction clocks give the premium
///   and the sale price under those terms (see `sync_auctions`).
/// - Moves `amount_in` from the keeper to the in-vault; the amount received is measured.
/// - Bounds (the shared engine, `math::rebalance::check_fill`), in this order: out is over
///   its target and in is under its target by the current weights (`OutNotOverweight`,
///   `InNotUnderweight`), and at least one of them is beyond its band (out over
///   `target + band` or in under `target - band`; `PairInsideBands`); amount out > 0 and
///   held (`ZeroAmountOut`, `InsufficientVaultBalance`); out not pushed below its target and
///   in not above its target (`OutPushedBelowTarget`, `InPushedAboveTarget`); liquidity
///   bound (`LiquidityBound`); the in-asset, the only one a fill adds to, within its max
///   weight (`ConcentrationBound`); distance to targets strictly decreases
///   (`DistanceNotReduced`); NAV after + premium >= NAV before (`ValueBound`).
/// - The pair's auction has started: the clock of each side beyond its band is set
///   (`AuctionNotStarted`; `math::rebalance::auction_started`).
/// - Amount out >= `min_amount_out` (`SlippageExceeded`); value delivered >= the minimum
///   trade (`TradeTooSmall`).
/// - Rate limits (leaky buckets, capacities of the terms): volume (`VolumeCapExceeded`) and
///   premium (`PremiumBudgetExceeded`).
/// - Books both balances, fills both buckets, adds to the lifetime totals, and restarts the
///   clocks of both assets (cleared if back inside the band; on crisis terms a clock still
///   beyond its band is not restarted but set back in proportion to what the take removed of
///   the out-asset's excess over its target, at most the auction's length and never past
///   now, so the sale price holds near where the take left it:
///   `math::rebalance::crisis_set_back_ceil`, `fill::book_fill`);
///   the clock of any other asset the fill brought back inside its band is cleared (never
///   started). Band states use the targets in force (crisis targets in crisis mode when
///   `CrisisProfile::liquid_target_bps` is set: `Fund::target_tilt`).
/// - Then moves the amount out from the out-vault to `keeper_out` (the fund signs); booked
///   first so the fund is loaded once for pricing and booking: a failed payout fails the
///   transaction and with it the booking.
/// - Emits `Rebalanced`.
pub fn rebalance(ctx: Context<Rebalance>, amount_in: u64, min_amount_out: u64) -> Result<()> {
    let a = &ctx.accounts;
    // the four token accounts written are distinct (what Anchor checks for typed accounts)
    let written = [
        a.vault_in.key,
        a.keeper_in.key,
        a.vault_out.key,
        a.keeper_out.key,
    ];
    for (k, key) in written.iter().enumerate().skip(1) {
        require!(
            !written[..k].contains(key),
            anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount
        );
    }
    require!(amount_in > 0, FundError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;

    // ---- checks that need no transfer ---------------------------------------------------
    let (plan, decimals_in, decimals_out, create_key, bump) = {
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
                delivery: Some((a.token_program_in.key, &a.keeper_in)),
            },
            now,
        )?;
        (
            plan,
            fund.assets[plan.i].decimals,
            fund.assets[plan.o].decimals,
            fund.create_key,
            fund.bump,
        )
    };

    // ---- the keeper delivers -------------------------------------------------------------
    let vault_in = a.vault_in.to_account_info();
    let before_in = token_amount(&vault_in)?;
    transfer_checked(
        a.token_program_in.key,
        TransferAccounts {
            from: &a.keeper_in,
            mint: &a.mint_in,
            to: &vault_in,
            authority: &a.keeper,
        },
        amount_in,
        decimals_in,
        &[],
    )?;
    let received = token_amount(&vault_in)?.safe_sub(before_in)?;
    require!(received > 0, FundError::NothingReceived);

    // ---- price and check the fill with the shared engine, and book it --------------------
    // (booked before the payout below, with the fund loaded once: the transaction is atomic,
    // so a payout that fails undoes the booking)
    let fill = {
        let mut fund = a.fund.load_mut()?;
        let fill = price_fill(&fund, &plan, received, None, now)?;
        require!(
            fill.quote.amount_out >= min_amount_out,
            FundError::SlippageExceeded
        );
        book_fill(&mut fund, &plan, received, &fill, now)?;
        fill
    };

    // ---- the fund pays -------------------------------------------------------------------
    let bump_seed = [bump];
    let seeds: &[&[u8]] = &[SEED_FUND, create_key.as_ref(), &bump_seed];
    transfer_checked(
        a.token_program_out.key,
        TransferAccounts {
            from: &a.vault_out,
            mint: &a.mint_out,
            to: &a.keeper_out,
            authority: a.fund.as_ref(),
        },
        fill.quote.amount_out,
        decimals_out,
        &[seeds],
    )?;

    emit!(fill_event(
        a.fund.key(),
        a.keeper.key(),
        (a.mint_in.key(), a.mint_out.key()),
        (amount_in, received),
        &plan,
        &fill,
        false,
    ));
    Ok(())
}
