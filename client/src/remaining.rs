//! Remaining-accounts builders for the instructions that take them, and the draw planner.
//!
//! - `refresh_prices`: per selected asset in index order, its price account (Pyth assets
//!   only), then its fallback pull feed (assets with a fallback only: the address stored in
//!   the fund), then its vault.
//! - `draw`: groups of four `[vault (w), mint, payout account (w), token program]` in
//!   waterfall order, exactly as many as the draw uses (one more is
//!   `ExtraRemainingAccounts`): [`plan_draw`] runs the handler's sizing with the program's
//!   own math to know how many.
//! - `rebalance` takes none.

use crate::ix::AssetKeys;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::AccountMeta;
use insurance_fund::constants::MAX_ASSETS;
use insurance_fund::state::{fresh_nav, Asset, Claimant, Fund, OracleSource, Shortfall};

/// Why remaining accounts or a plan could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RemainingError {
    #[error("asset {index} ({mint}) is priced by Pyth but no price account was given for it")]
    MissingPriceAccount { index: usize, mint: Pubkey },
    #[error("asset mask {mask:#06x} selects no registered asset or an unregistered one")]
    BadMask { mask: u16 },
    #[error("arithmetic overflow while planning the draw")]
    Overflow,
}

/// Mask selecting every registered asset.
pub fn all_assets_mask(fund: &Fund) -> u16 {
    let n = fund.asset_count as u32;
    if n == 0 {
        0
    } else {
        ((1u32 << n) - 1) as u16
    }
}

/// `refresh_prices`' remaining accounts for `mask`; `price_account(i, asset)` names the
/// price account of each Pyth-priced asset (fixed-price assets have none). An asset's
/// fallback feed, when it has one, is the account the fund stores (`Asset::fallback.feed`).
pub fn refresh_prices_accounts(
    fund: &Fund,
    mask: u16,
    price_account: impl Fn(usize, &Asset) -> Option<Pubkey>,
) -> Result<Vec<AccountMeta>, RemainingError> {
    let n = fund.asset_count as usize;
    if mask == 0 || (n < MAX_ASSETS && mask >> n != 0) {
        return Err(RemainingError::BadMask { mask });
    }
    let mut metas = Vec::new();
    for (i, a) in fund.registered_assets().iter().enumerate() {
        if mask & (1 << i) == 0 {
            continue;
        }
        if a.oracle.source == OracleSource::PythPull as u8 {
            let key = price_account(i, a).ok_or(RemainingError::MissingPriceAccount {
                index: i,
                mint: a.mint,
            })?;
            metas.push(AccountMeta::new_readonly(key, false));
            if a.fallback.is_set() {
                metas.push(AccountMeta::new_readonly(a.fallback.feed, false));
            }
        }
        metas.push(AccountMeta::new_readonly(a.vault, false));
    }
    Ok(metas)
}

/// What a `draw` would pay, predicted with the handler's own sizing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawPlan {
    /// The most the draw may pay now (numeraire atoms); 0 means `NothingToDraw`.
    pub limit: u64,
    /// Asset indices to pass payout groups for, in waterfall order.
    pub assets: Vec<usize>,
    /// Value the shortfall would be credited (numeraire atoms).
    pub paid: u64,
}

/// Plans a draw of up to `max_value` at `now` with the handler's own rules
/// (`Fund::draw_room` on `fresh_nav`, `Fund::draw_waterfall`), skipping what the handler lets
/// a draw skip (assets with a stale price, dust: `Asset::is_payout_dust`), then walking the waterfall over booked balances at upper
/// prices, moving on only when an asset is exhausted.
pub fn plan_draw(
    fund: &Fund,
    claimant: &Claimant,
    shortfall: &Shortfall,
    max_value: u64,
    now: i64,
) -> Result<DrawPlan, RemainingError> {
    let stale = fund.stale_mask(now);
    let (values, _) = fund.asset_values().map_err(|_| RemainingError::Overflow)?;
    let nav = fresh_nav(&values[..fund.asset_count as usize], stale)
        .map_err(|_| RemainingError::Overflow)?;
    let limit = fund
        .draw_room(nav, claimant, shortfall, max_value, now)
        .map_err(|_| RemainingError::Overflow)?
        .limit;
    let mut plan = DrawPlan {
        limit,
        assets: vec![],
        paid: 0,
    };
    if limit == 0 {
        return Ok(plan);
    }
    let mut left = u128::from(limit);
    for &k in fund.draw_waterfall().as_slice() {
        // skipped as the handler lets a draw skip them: a stale price (it cannot be paid
        // from), or dust
        if fund
            .draw_may_skip(k, stale)
            .map_err(|_| RemainingError::Overflow)?
        {
            continue;
        }
        let step = fund.assets[k]
            .payout_step(left, fund.numeraire_decimals)
            .map_err(|_| RemainingError::Overflow)?;
        plan.assets.push(k);
        left = step.left;
        if step.last {
            break;
        }
    }
    plan.paid = limit.saturating_sub(u64::try_from(left).unwrap_or(u64::MAX));
    Ok(plan)
}

/// `draw`'s payout groups for `assets` (from [`plan_draw`]); `destination(i, asset)` is the
/// claimant's payout token account for that asset's mint.
pub fn draw_accounts(
    fund: &Fund,
    assets: &[usize],
    destination: impl Fn(usize, &Asset) -> Pubkey,
) -> Vec<AccountMeta> {
    assets
        .iter()
        .flat_map(|&k| {
            let a = &fund.assets[k];
            draw_group(&AssetKeys::of(a), destination(k, a))
        })
        .collect()
}

/// One payout group of `draw`: `[vault (w), mint, destination (w), token program]` of
/// `asset`, paying into `destination`.
pub fn draw_group(asset: &AssetKeys, destination: Pubkey) -> [AccountMeta; 4] {
    [
        AccountMeta::new(asset.vault, false),
        AccountMeta::new_readonly(asset.mint, false),
        AccountMeta::new(destination, false),
        AccountMeta::new_readonly(asset.token_program, false),
    ]
}
