use crate::error::FundError;
use crate::events::Rebalanced;
use crate::instructions::sync_auctions::next_clock;
use crate::math::rate_limit::take;
use crate::math::rebalance::{check_fill_inputs, imbalance_at, quote_fill_from, FillPair};
use crate::math::SafeMath;
use crate::state::{asset_flags, pause_flags, seeds::SEED_FUND, Fund};
use crate::token_policy::{token_account_mint, token_amount, transfer_checked, TransferAccounts};
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
/// out-asset's upper price bound, rounded down. NAV therefore falls by at most the premium.
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
///   same while another asset holds a balance at a stale price (`StalePricesLiquidOnly`),
///   which the fill then values at 0 (`Fund::check_fill_mode` says why that is safe).
/// - The pair's auction clocks give the premium (see `sync_auctions`).
/// - Moves `amount_in` from the keeper to the in-vault; the amount received is measured.
/// - Bounds (the shared engine, `math::rebalance::check_fill`), in this order: out is over
///   its target and in is under its target by the current weights (`OutNotOverweight`,
///   `InNotUnderweight`), and at least one of them is beyond its band (out over
///   `target + band` or in under `target - band`; `PairInsideBands`); amount out > 0 and
///   held (`ZeroAmountOut`, `InsufficientVaultBalance`); out not pushed below its target and
///   in not above its target (`OutPushedBelowTarget`, `InPushedAboveTarget`); liquidity
///   bound (`LiquidityBound`); concentration bound (`ConcentrationBound`); distance to
///   targets strictly decreases (`DistanceNotReduced`); NAV after + premium >= NAV before
///   (`ValueBound`).
/// - The pair's auction has started: the clock of each side beyond its band is set
///   (`AuctionNotStarted`; `math::rebalance::auction_started`).
/// - Amount out >= `min_amount_out` (`SlippageExceeded`); value delivered >= the minimum
///   trade (`TradeTooSmall`).
/// - Rate limits (leaky buckets): volume (`VolumeCapExceeded`) and premium
///   (`PremiumBudgetExceeded`).
/// - Moves the amount out from the out-vault to `keeper_out` (the fund signs).
/// - Books both balances, fills both buckets, adds to the lifetime totals, and restarts the
///   clocks of both assets (cleared if back inside the band); the clock of any other asset
///   the fill brought back inside its band is cleared (never started).
/// - Emits `Rebalanced`.
pub fn handler(ctx: Context<Rebalance>, amount_in: u64, min_amount_out: u64) -> Result<()> {
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
    let (i, o, stale, premium_bps, decimals_in, decimals_out, create_key, bump) = {
        let fund = a.fund.load()?;
        require!(
            !fund.is_paused(pause_flags::REBALANCES, now),
            FundError::RebalancesPaused
        );
        fund.require_rebalance_ready()?;
        let i = fund.asset_index(&a.mint_in.key())?;
        let o = fund.asset_index(&a.mint_out.key())?;
        require!(i != o, FundError::InvalidPair);
        let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
        require_keys_eq!(a.vault_in.key(), ai.vault, FundError::VaultMismatch);
        require_keys_eq!(a.vault_out.key(), ao.vault, FundError::VaultMismatch);
        require_keys_eq!(
            a.token_program_in.key(),
            ai.token_program_id(),
            FundError::TokenProgramMismatch
        );
        require_keys_eq!(
            a.token_program_out.key(),
            ao.token_program_id(),
            FundError::TokenProgramMismatch
        );
        require_keys_eq!(
            token_account_mint(&a.keeper_in, &ai.token_program_id())?,
            ai.mint,
            FundError::SourceMintMismatch
        );
        require_keys_eq!(
            token_account_mint(&a.keeper_out, &ao.token_program_id())?,
            ao.mint,
            FundError::SourceMintMismatch
        );
        require!(
            ai.has_flag(asset_flags::REBALANCE_IN),
            FundError::RebalanceInDisabled
        );
        require!(
            ao.has_flag(asset_flags::REBALANCE_OUT),
            FundError::RebalanceOutDisabled
        );
        let max_age = fund.max_price_age_secs;
        require!(
            ai.price_is_fresh(now, max_age) && ao.price_is_fresh(now, max_age),
            FundError::PriceStale
        );
        // shortfall mode or a stale third asset: only fills that raise the liquid share
        let stale = fund.stale_mask(now);
        fund.check_fill_mode(i, o, stale)?;
        // Eligibility is checked by the engine with the fill below; here only the auction
        // clocks, which price it.
        let premium = fund.pair_premium_bps(i, o, now);
        (
            i,
            o,
            stale,
            premium,
            ai.decimals,
            ao.decimals,
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

    // ---- price and check the fill with the shared engine ------------------------------------
    let (quote, before, after, volume_level, premium_level, value_in, premium_value) = {
        let fund = a.fund.load()?;
        // the engine's view of every asset, built once; the pair's flags were checked above
        // a stale asset other than the pair is valued at 0 (`Fund::check_fill_mode`)
        let (inputs, n) = fund.engine_inputs_without(stale);
        let (ai, ao) = (&fund.assets[i], &fund.assets[o]);
        let quote = quote_fill_from(
            &inputs[i],
            ao.upper_price(),
            ao.decimals,
            received,
            premium_bps,
            fund.numeraire_decimals,
        )?;
        let pair = FillPair {
            i,
            o,
            can_in: ai.has_flag(asset_flags::REBALANCE_IN),
            can_out: ao.has_flag(asset_flags::REBALANCE_OUT),
        };
        let checked = check_fill_inputs(
            &inputs[..n],
            pair,
            received,
            &quote,
            fund.min_liquid_bps,
            fund.rebalance.band_bps,
            fund.numeraire_decimals,
        )?;
        require!(
            fund.pair_started(i, o, (checked.out_over_band, checked.in_under_band)),
            FundError::AuctionNotStarted
        );
        let (before, after) = (checked.before, checked.after);
        require!(
            quote.amount_out >= min_amount_out,
            FundError::SlippageExceeded
        );
        let cfg = &fund.rebalance;
        let value_in =
            u64::try_from(quote.value_in).map_err(|_| error!(FundError::MathOverflow))?;
        let premium_value =
            u64::try_from(quote.premium_value).map_err(|_| error!(FundError::MathOverflow))?;
        require!(value_in >= cfg.min_trade_value, FundError::TradeTooSmall);
        let elapsed = now.saturating_sub(fund.rebalance_state.last_update);
        let state = &fund.rebalance_state;
        let volume_level = take(
            state.volume_level,
            cfg.max_volume_per_window,
            cfg.window_secs,
            elapsed,
            value_in,
        )?
        .ok_or_else(|| error!(FundError::VolumeCapExceeded))?;
        let premium_level = take(
            state.premium_level,
            cfg.premium_budget_per_window,
            cfg.window_secs,
            elapsed,
            premium_value,
        )?
        .ok_or_else(|| error!(FundError::PremiumBudgetExceeded))?;
        (
            quote,
            before,
            after,
            volume_level,
            premium_level,
            value_in,
            premium_value,
        )
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
        quote.amount_out,
        decimals_out,
        &[seeds],
    )?;

    // ---- book it ---------------------------------------------------------------------------
    let mut fund = a.fund.load_mut()?;
    fund.assets[i].credit_rebalance_in(received)?;
    fund.assets[o].debit(quote.amount_out)?;
    let band_bps = fund.rebalance.band_bps;
    // any other asset the fill brought back inside its band ends its episode (on the values
    // the fill computed); the pair restarts: a further fill starts at the start premium again
    if stale == 0 {
        fund.settle_auction_clocks_with(&after.values[..after.count], after.nav, i);
    } else {
        // the fill's weights value a stale asset at 0; clocks are kept on cached prices
        fund.settle_auction_clocks()?;
    }
    for k in [i, o] {
        let slot = &mut fund.assets[k];
        let (over, under) = imbalance_at(&after, k, slot.target_bps, band_bps);
        slot.over_since = next_clock(0, over, now);
        slot.under_since = next_clock(0, under, now);
    }
    let state = &mut fund.rebalance_state;
    state.volume_level = volume_level;
    state.premium_level = premium_level;
    state.last_update = now;
    state.total_volume = state.total_volume.safe_add(value_in)?;
    state.total_premium = state.total_premium.safe_add(premium_value)?;
    state.fills = state.fills.safe_add(1)?;
    fund.invariant_flows()?;

    emit!(Rebalanced {
        fund: a.fund.key(),
        keeper: a.keeper.key(),
        mint_in: a.mint_in.key(),
        mint_out: a.mint_out.key(),
        amount_in_sent: amount_in,
        amount_in_received: received,
        amount_out: quote.amount_out,
        value_in: quote.value_in,
        value_out: quote.value_out,
        premium_bps,
        premium_value: quote.premium_value,
        nav_before: before.nav,
        nav_after: after.nav,
        distance_before_bps: before.distance_bps,
        distance_after_bps: after.distance_bps,
        liquid_before_bps: before.liquid_bps,
        liquid_after_bps: after.liquid_bps,
    });
    Ok(())
}
