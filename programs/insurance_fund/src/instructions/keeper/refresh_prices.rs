use crate::constants::MAX_ASSETS;
use crate::error::FundError;
use crate::events::{PricesRefreshed, RefreshedAsset};
use crate::oracle::{price_asset, PriceInputs};
use crate::state::{Fund, OracleSource};
use crate::token_policy::token_amount;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct RefreshPrices<'info> {
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Validates and caches the prices of a subset of assets, and re-reads their vault balances.
///
/// Remaining accounts, for each asset selected in `assets` (bit i = asset i), in increasing
/// index order: the asset's price account (Pyth pull sources only; a fixed-price asset has
/// none), then its fallback pull feed (only when it has a fallback), then the asset's vault.
///
/// Specification:
/// - Anyone may call (keepers crank it before rebalances and draws).
/// - `assets` is non-zero and selects only registered assets (`InvalidAssetSelection`).
/// - The remaining accounts follow the layout above exactly (`MissingRemainingAccounts`,
///   `ExtraRemainingAccounts`).
/// - Each vault is the asset's own vault (`VaultMismatch`): another fund's or another asset's
///   vault is refused.
/// - Each price passes every check of its source (see `oracle.rs`: `OracleWrongOwner`,
///   `OracleInvalidAccount`, `OracleFeedMismatch`, `OracleBelongsToOtherAsset`,
///   `OracleNotFullyVerified`, `OracleStale`, `OracleNonPositivePrice`,
///   `OracleConfidenceTooWide`). The same price account may serve two assets that share a
///   feed; an account with another asset's feed is refused.
/// - An asset with a fallback: its fallback account is the asset's own pull feed, owned by
///   the Switchboard On-Demand program (`FallbackWrongOwner`, `FallbackInvalidAccount`,
///   `FallbackFeedMismatch`), checked whatever the primary says. The two sources combine as
///   `oracle::choose` decides: both usable and further apart than `max_divergence_bps`
///   refuses (`OracleSourcesDiverge`); a usable primary prices the asset otherwise. A stale
///   or too uncertain primary is replaced by the fallback only once the last good primary
///   price is itself stale (until then the primary's error), only if the primary priced the
///   asset before (`FallbackWithoutPrimaryPrice`), the fallback is usable (`FallbackStale`,
///   `FallbackNonPositivePrice`, `FallbackConfidenceTooWide`) and it is within
///   `max_divergence_bps` of the last good primary price (`FallbackDiverges`).
/// - Caches each asset's lower and upper price bounds, confidence, exponent, publish time
///   and source (primary or fallback) when the update is newer than the cached price, and,
///   for a primary price newer than the last good one, that price and time (what a later
///   fallback is compared with; a fallback price never replaces it); an update published at or before the
///   cached publish time leaves the cached price untouched (the cache never moves back in
///   time, so a caller cannot pick an older, more favourable price among the valid ones).
///   Such an update is not refused: a keeper's or claimant's transaction whose update was
///   overtaken by a newer one still goes through (refusing it would let anyone block the
///   transaction by posting a newer price first).
/// - Sets each asset's booked balance to its vault's balance, so donations and Token-2022
///   effects are booked.
/// - With a crisis hold set, records now as the last crisis trigger when a risk asset has
///   gapped on the prices just cached (`Fund::note_gap`, `Fund::crisis_seen_at`).
/// - Clears the auction clock of every asset now back inside its band
///   (`Fund::settle_auction_clocks`, targets in force), so a later episode starts at the
///   start premium.
/// - Emits `PricesRefreshed` with the cached bounds (and whether each was updated) and the
///   booked balances before and after.
pub fn refresh_prices<'info>(ctx: Context<'info, RefreshPrices<'info>>, assets: u16) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut fund = ctx.accounts.fund.load_mut()?;
    let n = fund.asset_count as usize;
    require!(
        assets != 0 && (n >= MAX_ASSETS || assets >> n == 0),
        FundError::InvalidAssetSelection
    );

    let mut remaining = ctx.remaining_accounts.iter();
    let mut refreshed = Vec::with_capacity(assets.count_ones() as usize);
    for i in (0..n).filter(|i| assets & (1 << i) != 0) {
        let asset = fund.assets[i];
        let pyth = asset.oracle.source == OracleSource::PythPull as u8;
        let mut next = |wanted: bool| -> Result<Option<&AccountInfo<'info>>> {
            if !wanted {
                return Ok(None);
            }
            Ok(Some(remaining.next().ok_or_else(|| {
                error!(FundError::MissingRemainingAccounts)
            })?))
        };
        let primary_account = next(pyth)?;
        let fallback_account = next(pyth && asset.fallback.is_set())?;
        let vault = next(true)?.ok_or_else(|| error!(FundError::MissingRemainingAccounts))?;
        require_keys_eq!(vault.key(), asset.vault, FundError::VaultMismatch);

        let inputs = PriceInputs {
            oracle: &asset.oracle,
            fallback: &asset.fallback,
            cache: &asset.price,
            primary_account,
            fallback_account,
            fund_max_age_secs: fund.max_price_age_secs,
        };
        let priced = price_asset(&inputs, now, |feed| {
            fund.registered_assets()
                .iter()
                .any(|other| other.oracle.feed_id == *feed && other.mint != asset.mint)
        })?;
        let balance = token_amount(vault)?;

        let slot = &mut fund.assets[i];
        let updated = slot.cache_price(&priced);
        slot.sync_balance(balance);
        let cached = slot.price;
        refreshed.push(RefreshedAsset {
            index: i as u8,
            updated,
            on_fallback: cached.on_fallback != 0,
            lower: cached.lower,
            upper: cached.upper,
            expo: cached.expo,
            publish_time: cached.publish_time,
            booked_balance_before: asset.booked_balance,
            booked_balance_after: balance,
        });
    }
    require!(
        remaining.next().is_none(),
        FundError::ExtraRemainingAccounts
    );
    fund.note_gap(now);
    fund.settle_auction_clocks(now)?;
    fund.invariant_flows()?;

    emit!(PricesRefreshed {
        fund: ctx.accounts.fund.key(),
        assets,
        refreshed,
    });
    Ok(())
}
