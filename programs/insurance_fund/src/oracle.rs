//! Price sources. Callers see only [`ValidatedPrice`]; adding a primary source means a new
//! `OracleSource` variant and a new arm in [`read_price`]. A Pyth-priced asset may have a
//! second source, a Switchboard On-Demand pull feed ([`price_asset`] combines the two).
//!
//! Every check has its own error:
//!
//! | check (Pyth pull)                                              | error                        |
//! |----------------------------------------------------------------|------------------------------|
//! | account owned by the Pyth receiver program                     | `OracleWrongOwner`           |
//! | account is a `PriceUpdateV2` (discriminator, layout)           | `OracleInvalidAccount`       |
//! | feed id is the asset's, or else another asset's                | `OracleFeedMismatch` / `OracleBelongsToOtherAsset` |
//! | `VerificationLevel::Full`                                      | `OracleNotFullyVerified`     |
//! | `now - publish_time <= max_age_secs`                           | `OracleStale`                |
//! | spot and EMA price > 0, lower bound > 0                        | `OracleNonPositivePrice`     |
//! | `conf / price <= max_conf_bps` for spot and EMA                | `OracleConfidenceTooWide`    |
//!
//! The conservative bounds (Drift and the Solana perpetuals reference guard the same way):
//! `lower = min(spot - conf, ema - ema_conf)` values what the fund holds and what it receives,
//! `upper = max(spot + conf, ema + ema_conf)` prices what it gives, so a momentary spike in
//! either direction never favours a counterparty.
//!
//! ## The fallback (Switchboard On-Demand)
//!
//! | check (fallback pull feed)                                     | error                        |
//! |----------------------------------------------------------------|------------------------------|
//! | account owned by the Switchboard On-Demand program             | `FallbackWrongOwner`         |
//! | account is a `PullFeedAccountData` with a result               | `FallbackInvalidAccount`     |
//! | account address is the asset's fallback feed                   | `FallbackFeedMismatch`       |
//! | `now - result timestamp <= fallback max_age_secs`              | `FallbackStale`              |
//! | median > 0, lower bound > 0                                    | `FallbackNonPositivePrice`   |
//! | `spread / median <= fallback max_conf_bps`                     | `FallbackConfidenceTooWide`  |
//!
//! The spread is the larger of the result's standard deviation and the distance of its
//! samples' minimum and maximum from the median; the bounds are `median -+ spread`, converted
//! to the primary's exponent (lower rounded down, upper up), then the asset's peg band as for
//! the primary. The first three checks always apply (a wrong account is the caller's doing);
//! the last three only decide whether the fallback is usable. How the two sources combine is
//! [`choose`]'s table.

use crate::error::FundError;
use crate::math::SafeMath;
use crate::state::{FallbackConfig, OracleConfig, OracleSource, PriceCache};
use anchor_lang::prelude::*;

/// The Pyth Solana receiver program, owner of every `PriceUpdateV2` account (the same
/// address on mainnet and devnet).
pub const PYTH_RECEIVER_PROGRAM_ID: Pubkey = pubkey!("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");

/// The receiver's `PriceUpdateV2` account, field for field as `pyth-solana-receiver-sdk` 2.0.0
/// declares it (Anchor account: 8-byte discriminator, then Borsh).
///
/// Why a mirror instead of the SDK crate: the SDK pulls `solana-program` 3.0, `num-bigint`,
/// `serde_json` and `schemars` into the on-chain binary, and with them the SBF build on these
/// machines fails (`A call to built-in function '__floatundidf' is not supported`). The
/// layout is fixed by deployed accounts; the integration suite writes every price account
/// with the SDK's own serializer and reads it back through this mirror, and checks the
/// discriminator and owner against the SDK's constants, so a mismatch fails the tests.
pub mod pyth {
    use anchor_lang::prelude::*;

    /// `sha256("account:PriceUpdateV2")[..8]`.
    pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];

    #[derive(AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
    pub enum VerificationLevel {
        Partial { num_signatures: u8 },
        Full,
    }

    #[derive(AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PriceFeedMessage {
        pub feed_id: [u8; 32],
        pub price: i64,
        pub conf: u64,
        pub exponent: i32,
        pub publish_time: i64,
        pub prev_publish_time: i64,
        pub ema_price: i64,
        pub ema_conf: u64,
    }

    #[derive(AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PriceUpdateV2 {
        pub write_authority: Pubkey,
        pub verification_level: VerificationLevel,
        pub price_message: PriceFeedMessage,
        pub posted_slot: u64,
    }

    impl PriceUpdateV2 {
        /// Decodes an account's data; `None` if it is not a `PriceUpdateV2`.
        pub fn decode(data: &[u8]) -> Option<Self> {
            let body = data.strip_prefix(&PRICE_UPDATE_V2_DISCRIMINATOR)?;
            Self::deserialize(&mut &body[..]).ok()
        }
    }
}

/// The Switchboard On-Demand program, owner of every pull feed (mainnet; its devnet
/// deployment has another address, `Aio4gaXjXzJNVLtzwtNVmSqGKpANtXhybbkhtAC94ji2`).
pub const SWITCHBOARD_ON_DEMAND_PROGRAM_ID: Pubkey =
    pubkey!("SBondMDrcV3K4kxZR1HNVT7osZxAHVHgYXL5Ze1oMUv");

/// The fields of Switchboard On-Demand's `PullFeedAccountData` that pricing reads, at their
/// offsets in the account as `switchboard-on-demand` 0.13.0 declares the struct
/// (`src/on_demand/accounts/pull_feed.rs`: `repr(C)`, bytemuck `Pod`, so no hidden padding;
/// 8-byte discriminator, then 3,200 bytes).
///
/// Why a mirror instead of the crate: the crate brings `libsecp256k1`, `rust_decimal`,
/// protobuf code generation and a second Solana SDK into the program. The integration suite
/// builds every fallback account from the crate's own struct (`bytemuck::bytes_of`) and its
/// discriminator and owner constants, and reads it back through this mirror, so a layout
/// change fails the tests.
pub mod switchboard {
    /// `sha256("account:PullFeedAccountData")[..8]`.
    pub const PULL_FEED_DISCRIMINATOR: [u8; 8] = [196, 27, 108, 196, 10, 215, 219, 40];
    /// `size_of::<PullFeedAccountData>()`, without the discriminator.
    pub const PULL_FEED_SIZE: usize = 3_200;
    /// Offsets in the struct (add 8 in the account).
    pub const RESULT_OFFSET: usize = 2_256;
    pub const SUBMISSION_TIMESTAMPS_OFFSET: usize = 2_944;
    /// 18 decimals: a value `v` is `v * 10^-18`.
    pub const PRECISION: i32 = 18;

    /// `CurrentResult`, the fields read: the median `value`, `std_dev`, the samples'
    /// `min_value` and `max_value` (i128 each, 18 decimals), `num_samples`, the index of the
    /// submission the median came from and the `slot` it was signed at (0 = no result).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FeedResult {
        pub value: i128,
        pub std_dev: i128,
        pub min_value: i128,
        pub max_value: i128,
        pub num_samples: u8,
        pub slot: u64,
        /// `submission_timestamps[submission_idx]`: the crate's `result_ts()`, the unix time
        /// of the submission the result was taken from.
        pub timestamp: i64,
    }

    fn i128_at(d: &[u8], at: usize) -> i128 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[at..at + 16]);
        i128::from_le_bytes(b)
    }

    fn u64_at(d: &[u8], at: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[at..at + 8]);
        u64::from_le_bytes(b)
    }

    impl FeedResult {
        /// Decodes an account's data; `None` if it is not a pull feed (discriminator, size)
        /// or has no result yet (slot 0, no samples, submission index out of range).
        pub fn decode(data: &[u8]) -> Option<Self> {
            let body = data.strip_prefix(&PULL_FEED_DISCRIMINATOR)?;
            if body.len() < PULL_FEED_SIZE {
                return None;
            }
            let r = RESULT_OFFSET;
            let num_samples = body[r + 96];
            let submission_idx = body[r + 97] as usize;
            let slot = u64_at(body, r + 104);
            if slot == 0 || num_samples == 0 || submission_idx >= 32 {
                return None;
            }
            Some(Self {
                value: i128_at(body, r),
                std_dev: i128_at(body, r + 16),
                min_value: i128_at(body, r + 64),
                max_value: i128_at(body, r + 80),
                num_samples,
                slot,
                timestamp: u64_at(body, SUBMISSION_TIMESTAMPS_OFFSET + 8 * submission_idx) as i64,
            })
        }
    }
}

use pyth::{PriceUpdateV2, VerificationLevel};

/// A price that passed every check of its source. One whole token is worth
/// `mantissa * 10^expo` whole numeraire units, for each bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatedPrice {
    pub lower: u64,
    pub upper: u64,
    /// The spot confidence interval, for reporting.
    pub conf: u64,
    /// `spot - conf`: the floor a gap-clearing sale is priced from (`math::rebalance::sale_price`).
    pub spot_lower: u64,
    /// The source's own central price before any peg band (Pyth's spot price, Switchboard's
    /// median rounded down, the fixed price): what the two sources are compared on.
    pub mid: u64,
    pub expo: i32,
    pub publish_time: i64,
}

/// Reads and validates the price of an asset configured with `config`. `account` is the
/// source's account (ignored for `Fixed`); `feed_of_other_assets` lets a wrong-but-known feed
/// be reported as belonging to another asset.
pub fn read_price(
    config: &OracleConfig,
    account: Option<&AccountInfo>,
    now: i64,
    is_other_assets_feed: impl Fn(&[u8; 32]) -> bool,
) -> Result<ValidatedPrice> {
    match OracleSource::try_from(config.source)? {
        OracleSource::Fixed => Ok(ValidatedPrice {
            lower: config.fixed_price,
            upper: config.fixed_price,
            conf: 0,
            spot_lower: config.fixed_price,
            mid: config.fixed_price,
            expo: config.fixed_expo,
            publish_time: now,
        }),
        OracleSource::PythPull => {
            let account = account.ok_or_else(|| error!(FundError::MissingRemainingAccounts))?;
            read_pyth(config, account, now, is_other_assets_feed)?.map_err(Error::from)
        }
    }
}

/// A reading of a source whose account passed the identity checks: a price, or why the
/// source cannot price now (for the primary `OracleStale` or `OracleConfidenceTooWide`, the
/// failures a fallback may stand in for; for the fallback any of its value checks).
pub type Reading = core::result::Result<ValidatedPrice, FundError>;

/// Reads a Pyth pull account. The outer error is a check a fallback never stands in for
/// (owner, layout, feed, verification, non-positive price); the inner one a stale or too
/// uncertain price.
fn read_pyth(
    config: &OracleConfig,
    account: &AccountInfo,
    now: i64,
    is_other_assets_feed: impl Fn(&[u8; 32]) -> bool,
) -> Result<Reading> {
    require_keys_eq!(
        *account.owner,
        PYTH_RECEIVER_PROGRAM_ID,
        FundError::OracleWrongOwner
    );
    let update = PriceUpdateV2::decode(&account.try_borrow_data()?)
        .ok_or_else(|| error!(FundError::OracleInvalidAccount))?;
    let m = &update.price_message;
    if m.feed_id != config.feed_id {
        return if is_other_assets_feed(&m.feed_id) {
            err!(FundError::OracleBelongsToOtherAsset)
        } else {
            err!(FundError::OracleFeedMismatch)
        };
    }
    require!(
        update.verification_level == VerificationLevel::Full,
        FundError::OracleNotFullyVerified
    );
    let age = now.saturating_sub(m.publish_time);
    if age > i64::from(config.max_age_secs) {
        return Ok(Err(FundError::OracleStale));
    }
    require!(
        m.price > 0 && m.ema_price > 0,
        FundError::OracleNonPositivePrice
    );
    let (spot, ema) = (m.price as u64, m.ema_price as u64);
    let max_conf = u128::from(config.max_conf_bps);
    for (p, c) in [(spot, m.conf), (ema, m.ema_conf)] {
        if u128::from(c).safe_mul(10_000)? > u128::from(p).safe_mul(max_conf)? {
            return Ok(Err(FundError::OracleConfidenceTooWide));
        }
    }
    // conf <= 10 % of price here, so the lower bounds are positive; saturate anyway.
    let lower = spot
        .saturating_sub(m.conf)
        .min(ema.saturating_sub(m.ema_conf));
    let upper = spot
        .saturating_add(m.conf)
        .max(ema.saturating_add(m.ema_conf));
    require!(lower > 0, FundError::OracleNonPositivePrice);
    let price = ValidatedPrice {
        lower,
        upper,
        conf: m.conf,
        spot_lower: spot.saturating_sub(m.conf),
        mid: spot,
        expo: m.exponent,
        publish_time: m.publish_time,
    };
    Ok(Ok(pegged(price, config.peg_band_bps)))
}

/// Reads an asset's fallback pull feed, converted to `expo` (the primary's exponent). The
/// outer error is an identity check (owner, layout, address); the inner one a value check.
fn read_switchboard(
    config: &FallbackConfig,
    peg_band_bps: u16,
    account: &AccountInfo,
    now: i64,
    expo: i32,
) -> Result<Reading> {
    require_keys_eq!(
        *account.owner,
        SWITCHBOARD_ON_DEMAND_PROGRAM_ID,
        FundError::FallbackWrongOwner
    );
    let r = switchboard::FeedResult::decode(&account.try_borrow_data()?)
        .ok_or_else(|| error!(FundError::FallbackInvalidAccount))?;
    require_keys_eq!(account.key(), config.feed, FundError::FallbackFeedMismatch);
    Ok(fallback_price(&r, config, peg_band_bps, now, expo))
}

/// The value checks and bounds of a decoded fallback result (see the module's table).
pub fn fallback_price(
    r: &switchboard::FeedResult,
    config: &FallbackConfig,
    peg_band_bps: u16,
    now: i64,
    expo: i32,
) -> Reading {
    if now.saturating_sub(r.timestamp) > i64::from(config.max_age_secs) {
        return Err(FundError::FallbackStale);
    }
    if r.value <= 0 {
        return Err(FundError::FallbackNonPositivePrice);
    }

    let value = r.value as u128;
    let spread = r
        .std_dev
        .max(r.value.saturating_sub(r.min_value))
        .max(r.max_value.saturating_sub(r.value))
        .max(0) as u128;
    // spread * 10,000 <= value * max_conf, exact: below 2^100 (a median under 10^12 units)
    // both products are under 2^114, so the plain multiplications cannot wrap (a checked
    // `u128` multiplication is a costly software routine on the SBF target); a median above
    // that counts as too wide
    let too_wide = value >= 1 << 100
        || spread.wrapping_mul(10_000) > value.wrapping_mul(u128::from(config.max_conf_bps));
    if too_wide {
        return Err(FundError::FallbackConfidenceTooWide);
    }
    // spread <= 10 % of the median here (max_conf_bps <= 1,000), so median - spread > 0
    let Some((lower, upper, mid, conf)) = to_expo(value, spread, expo) else {
        // a price or exponent this far out is no usable price
        return Err(FundError::FallbackNonPositivePrice);
    };
    if lower == 0 {
        return Err(FundError::FallbackNonPositivePrice);
    }
    Ok(pegged(
        ValidatedPrice {
            lower,
            upper,
            conf,
            spot_lower: lower,
            mid,
            expo,
            publish_time: r.timestamp,
        },
        peg_band_bps,
    ))
}

/// The bounds of a median `v` and spread `s < v` (18 decimals) at `expo`: `v * 10^-18 =
/// m * 10^expo`, so `m = v * 10^(-18 - expo)`. Returns `(lower, upper, mid, conf)`:
/// `floor(v - s)`, `ceil(v + s)`, `floor(v)`, `ceil(s)` at `expo`; `None` past `u64`. Two
/// `u128` divisions (the median's and the spread's), the four results from their quotients
/// and remainders: a `u128` division is a software routine on the SBF target.
fn to_expo(v: u128, s: u128, expo: i32) -> Option<(u64, u64, u64, u64)> {
    let shift = -switchboard::PRECISION - expo;
    let p = *POW10.get(shift.unsigned_abs() as usize)?;
    let (lower, upper, mid, conf) = if shift >= 0 {
        let (v, s) = (v.checked_mul(p)?, s.checked_mul(p)?);
        (v - s, v.checked_add(s)?, v, s)
    } else {
        let (qv, qs) = (v / p, s / p);
        // q * p <= x: no wrap
        let (rv, rs) = (v - qv.wrapping_mul(p), s - qs.wrapping_mul(p));
        // v - s = (qv - qs) p + (rv - rs), with rv - rs in (-p, p); qv >= qs as v > s
        let lower = qv - qs - u128::from(rv < rs);
        // v + s = (qv + qs) p + (rv + rs), with rv + rs in [0, 2p)
        let r = rv + rs;
        let upper = qv + qs + u128::from(r > 0) + u128::from(r > p);
        (lower, upper, qv, qs + u128::from(rs > 0))
    };
    Some((
        u64::try_from(lower).ok()?,
        u64::try_from(upper).ok()?,
        u64::try_from(mid).ok()?,
        u64::try_from(conf).ok()?,
    ))
}

/// `10^d` for `d` in `0..=38`.
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// A price for an asset and the source that gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetPrice {
    pub price: ValidatedPrice,
    pub on_fallback: bool,
}

/// Whether `a` differs from `reference` by more than `limit_bps` of `reference`; exact.
pub fn diverges(a: u64, reference: u64, limit_bps: u16) -> bool {
    // u64 times at most 10,000: under 2^78, no wrap (and no costly checked u128 product)
    u128::from(a.abs_diff(reference)).wrapping_mul(10_000)
        > u128::from(reference).wrapping_mul(u128::from(limit_bps))
}

/// How the primary and the fallback price an asset (a rule on two readings, no accounts):
///
/// | primary | fallback | result |
/// |---|---|---|
/// | a price | a price within the divergence limit of it | the primary's price |
/// | a price | a price beyond the limit | `OracleSourcesDiverge`: refused (stale once its cache ages) |
/// | a price | no usable price (stale, too wide...) | the primary's price: a dead fallback never blocks the primary |
/// | stale or too uncertain | - | when the last good primary price is itself still fresh (at most `max_age_secs` old, the tighter of the asset's and the fund's), the primary's error: the cached primary price stands, and a caller who passes an old primary update cannot pick the fallback over it |
/// | stale or too uncertain | - | no last good primary price (never priced, or the oracle was reconfigured): `FallbackWithoutPrimaryPrice` |
/// | stale or too uncertain | no usable price | the fallback's error |
/// | stale or too uncertain | a price beyond the limit of the last good primary price | `FallbackDiverges` |
/// | stale or too uncertain | a price within the limit | the fallback's price (`on_fallback`) |
///
/// The reference stays the last *primary* price while the asset is on fallback, so a run
/// of fallback prices can never walk the price further than the limit from it.
pub fn choose(
    primary: Reading,
    fallback: Reading,
    cache: &PriceCache,
    max_divergence_bps: u16,
    now: i64,
    max_age_secs: u32,
) -> Reading {
    match primary {
        Ok(p) => match fallback {
            Ok(f) if diverges(f.mid, p.mid, max_divergence_bps) => {
                Err(FundError::OracleSourcesDiverge)
            }
            _ => Ok(p),
        },
        Err(primary_error) => {
            if cache.primary_price == 0 || cache.primary_time <= 0 {
                return Err(FundError::FallbackWithoutPrimaryPrice);
            }
            if now.saturating_sub(cache.primary_time) <= i64::from(max_age_secs) {
                return Err(primary_error);
            }
            let f = fallback?;
            if diverges(f.mid, cache.primary_price, max_divergence_bps) {
                return Err(FundError::FallbackDiverges);
            }
            Ok(f)
        }
    }
}

/// The accounts and state one asset is priced from by `refresh_prices`.
pub struct PriceInputs<'a, 'info> {
    pub oracle: &'a OracleConfig,
    pub fallback: &'a FallbackConfig,
    pub cache: &'a PriceCache,
    pub primary_account: Option<&'a AccountInfo<'info>>,
    pub fallback_account: Option<&'a AccountInfo<'info>>,
    /// The fund's `max_price_age_secs`.
    pub fund_max_age_secs: u32,
}

/// Prices an asset: [`read_price`] when it has no fallback; otherwise both sources read and
/// combined by [`choose`]. An identity check of either account fails the call whatever the
/// other source says.
pub fn price_asset(
    inputs: &PriceInputs,
    now: i64,
    is_other_assets_feed: impl Fn(&[u8; 32]) -> bool,
) -> Result<AssetPrice> {
    let oracle = inputs.oracle;
    if !inputs.fallback.is_set() || oracle.source != OracleSource::PythPull as u8 {
        return Ok(AssetPrice {
            price: read_price(oracle, inputs.primary_account, now, is_other_assets_feed)?,
            on_fallback: false,
        });
    }
    let missing = || error!(FundError::MissingRemainingAccounts);
    let primary = read_pyth(
        oracle,
        inputs.primary_account.ok_or_else(missing)?,
        now,
        is_other_assets_feed,
    )?;
    let expo = primary.as_ref().map_or(inputs.cache.expo, |p| p.expo);
    let fallback = read_switchboard(
        inputs.fallback,
        oracle.peg_band_bps,
        inputs.fallback_account.ok_or_else(missing)?,
        now,
        expo,
    )?;
    let on_fallback = primary.is_err();
    let max_age = inputs.fund_max_age_secs.min(oracle.max_age_secs);
    let price = choose(
        primary,
        fallback,
        inputs.cache,
        inputs.fallback.max_divergence_bps,
        now,
        max_age,
    )?;
    Ok(AssetPrice { price, on_fallback })
}

/// A stablecoin priced by its own feed, with a peg band: when both conservative bounds lie
/// within `band_bps` of 1.00 numeraire (the band rounded toward par, so never wider than
/// configured), the price is exactly 1.00 at both bounds (small noise around the peg does not
/// move NAV or open auctions); outside it the bounds stand as published, so a depeg is seen at
/// once and a keeper delivering the depegged coin is paid at its lower bound, never at par.
/// 0 = no band; an exponent with no exact 1.00 (positive, or below -19) has none either.
pub fn pegged(price: ValidatedPrice, band_bps: u16) -> ValidatedPrice {
    if band_bps == 0 {
        return price;
    }
    let Some(par) = u32::try_from(-i64::from(price.expo))
        .ok()
        .and_then(|e| 10u64.checked_pow(e))
    else {
        return price;
    };
    // par * band < 2^64 * 2^11 fits u128; the quotient is below par
    let band = (u128::from(par) * u128::from(band_bps) / 10_000) as u64;
    if price.lower >= par - band && price.upper <= par + band {
        ValidatedPrice {
            lower: par,
            upper: par,
            spot_lower: par,
            ..price
        }
    } else {
        price
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // errors compared by code (the derive Anchor gives `FundError` has no `PartialEq`)
    impl PartialEq for FundError {
        fn eq(&self, other: &Self) -> bool {
            *self as u32 == *other as u32
        }
    }

    fn price(lower: u64, upper: u64, expo: i32) -> ValidatedPrice {
        ValidatedPrice {
            lower,
            upper,
            conf: 1,
            spot_lower: lower,
            mid: lower,
            expo,
            publish_time: 7,
        }
    }

    #[test]
    fn a_peg_band_holds_par_inside_and_lets_a_depeg_through() {
        // band 50 bps at expo -8: par 10^8, band 500,000
        let par = 100_000_000;
        let inside = price(99_500_000, 100_500_000, -8);
        let pegged_inside = pegged(inside, 50);
        assert_eq!(
            (
                pegged_inside.lower,
                pegged_inside.upper,
                pegged_inside.spot_lower
            ),
            (par, par, par)
        );
        assert_eq!(pegged_inside.publish_time, 7);
        // one atom outside on either side: the bounds stand
        for out in [
            price(99_499_999, 100_000_000, -8),
            price(99_900_000, 100_500_001, -8),
            price(92_000_000, 92_100_000, -8),
        ] {
            assert_eq!(pegged(out, 50), out);
        }
        // no band, or an exponent without an exact 1.00
        assert_eq!(pegged(inside, 0), inside);
        let positive = price(1, 1, 1);
        assert_eq!(pegged(positive, 50), positive);
        let tiny = price(u64::MAX, u64::MAX, -20);
        assert_eq!(pegged(tiny, 50), tiny);
        // expo 0: par is 1 and the band rounds to 0, so only exactly 1 is pegged
        assert_eq!(pegged(price(1, 1, 0), 200).lower, 1);
        let two = price(1, 2, 0);
        assert_eq!(pegged(two, 200), two);
    }

    fn cache(primary_price: u64, primary_time: i64) -> PriceCache {
        PriceCache {
            expo: -8,
            primary_price,
            primary_time,
            ..Default::default()
        }
    }

    fn at(mid: u64) -> ValidatedPrice {
        ValidatedPrice {
            mid,
            ..price(mid - 1, mid + 1, -8)
        }
    }

    #[test]
    fn choose_follows_its_table() {
        let now = 1_000;
        let (limit, max_age) = (200, 60); // 2 %
        let good = cache(100_000, now - 61); // last good primary price, stale by 1 s
        let fresh = cache(100_000, now - 60); // still fresh
                                              // primary priced: the fallback only cross-checks it
        assert_eq!(
            choose(Ok(at(100_000)), Ok(at(102_000)), &good, limit, now, max_age),
            Ok(at(100_000))
        );
        assert_eq!(
            choose(Ok(at(100_000)), Ok(at(102_001)), &good, limit, now, max_age),
            Err(FundError::OracleSourcesDiverge)
        );
        assert_eq!(
            choose(Ok(at(100_000)), Ok(at(97_999)), &good, limit, now, max_age),
            Err(FundError::OracleSourcesDiverge)
        );
        assert_eq!(
            choose(
                Ok(at(100_000)),
                Err(FundError::FallbackStale),
                &good,
                limit,
                now,
                max_age
            ),
            Ok(at(100_000))
        );
        // primary stale or too uncertain
        for e in [FundError::OracleStale, FundError::OracleConfidenceTooWide] {
            assert_eq!(
                choose(Err(e), Ok(at(98_000)), &good, limit, now, max_age),
                Ok(at(98_000))
            );
            assert_eq!(
                choose(Err(e), Ok(at(97_999)), &good, limit, now, max_age),
                Err(FundError::FallbackDiverges)
            );
            assert_eq!(
                choose(Err(e), Ok(at(98_000)), &fresh, limit, now, max_age),
                Err(e)
            );
            assert_eq!(
                choose(
                    Err(e),
                    Err(FundError::FallbackStale),
                    &good,
                    limit,
                    now,
                    max_age
                ),
                Err(FundError::FallbackStale)
            );
            assert_eq!(
                choose(Err(e), Ok(at(100_000)), &cache(0, 0), limit, now, max_age),
                Err(FundError::FallbackWithoutPrimaryPrice)
            );
        }
    }

    fn feed(
        value: i128,
        std_dev: i128,
        min: i128,
        max: i128,
        timestamp: i64,
    ) -> switchboard::FeedResult {
        switchboard::FeedResult {
            value,
            std_dev,
            min_value: min,
            max_value: max,
            num_samples: 3,
            slot: 9,
            timestamp,
        }
    }

    fn fallback(max_age_secs: u32, max_conf_bps: u16) -> FallbackConfig {
        FallbackConfig {
            feed: Pubkey::new_from_array([3; 32]),
            max_age_secs,
            max_conf_bps,
            max_divergence_bps: 100,
            source: crate::state::FALLBACK_SWITCHBOARD,
            _reserved: [0; 7],
        }
    }

    #[test]
    fn a_fallback_result_is_bounded_by_its_widest_spread_and_rounded_for_the_fund() {
        const E18: i128 = 1_000_000_000_000_000_000;
        let cfg = fallback(60, 100);
        // 150.000000005 with std-dev 0.1, samples 149.8 ..= 150.05: the spread is 0.2
        let v = 150 * E18 + 5_000_000_000;
        let r = feed(v, E18 / 10, v - E18 / 5, v + E18 / 20, 940);
        let p = fallback_price(&r, &cfg, 0, 1_000, -8).unwrap();
        // at 10^-8: median 15,000,000,000.5 -> lower floor, upper ceil
        assert_eq!(p.mid, 15_000_000_000);
        assert_eq!(p.lower, 14_980_000_000);
        assert_eq!(p.upper, 15_020_000_001);
        assert_eq!(p.spot_lower, p.lower);
        assert_eq!(p.conf, 20_000_000);
        assert_eq!((p.expo, p.publish_time), (-8, 940));
        // age: 60 s is fine, 61 s is stale
        assert!(fallback_price(&r, &cfg, 0, 1_001, -8).is_err());
        assert_eq!(
            fallback_price(&r, &cfg, 0, 1_001, -8),
            Err(FundError::FallbackStale)
        );
        // the spread is checked against the median: 0.2 / 150 = 13.3 bps
        assert_eq!(
            fallback_price(&r, &fallback(60, 13), 0, 1_000, -8),
            Err(FundError::FallbackConfidenceTooWide)
        );
        assert!(fallback_price(&r, &fallback(60, 14), 0, 1_000, -8).is_ok());
        // a standard deviation wider than the samples' range counts too
        let wide = feed(v, E18, v, v, 940);
        assert_eq!(
            fallback_price(&wide, &cfg, 0, 1_000, -8).unwrap().lower,
            14_900_000_000
        );
        // non-positive medians, and a lower bound of 0
        for bad in [feed(0, 0, 0, 0, 940), feed(-E18, 0, -E18, -E18, 940)] {
            assert_eq!(
                fallback_price(&bad, &cfg, 0, 1_000, -8),
                Err(FundError::FallbackNonPositivePrice)
            );
        }
        assert_eq!(
            fallback_price(&feed(5, 0, 5, 5, 940), &cfg, 0, 1_000, -8),
            Err(FundError::FallbackNonPositivePrice)
        );
        // a stablecoin inside its peg band counts as 1.00, as the primary would
        let usd = feed(E18 - E18 / 1000, 0, E18 - E18 / 1000, E18, 940);
        let pegged_usd = fallback_price(&usd, &cfg, 50, 1_000, -8).unwrap();
        assert_eq!(
            (pegged_usd.lower, pegged_usd.upper),
            (100_000_000, 100_000_000)
        );
        assert_eq!(pegged_usd.mid, 99_900_000);
        // an exponent below -18 multiplies
        assert_eq!(
            fallback_price(&usd, &cfg, 0, 1_000, -19).unwrap().mid,
            9_990_000_000_000_000_000
        );
        // past u64 at the exponent: no usable price
        assert_eq!(
            fallback_price(&usd, &cfg, 0, 1_000, -20),
            Err(FundError::FallbackNonPositivePrice)
        );
    }

    #[test]
    fn the_pull_feed_mirror_reads_its_offsets() {
        let mut data = vec![0u8; 8 + switchboard::PULL_FEED_SIZE];
        data[..8].copy_from_slice(&switchboard::PULL_FEED_DISCRIMINATOR);
        let r = 8 + switchboard::RESULT_OFFSET;
        data[r..r + 16].copy_from_slice(&7i128.to_le_bytes());
        data[r + 16..r + 32].copy_from_slice(&2i128.to_le_bytes());
        data[r + 64..r + 80].copy_from_slice(&6i128.to_le_bytes());
        data[r + 80..r + 96].copy_from_slice(&8i128.to_le_bytes());
        data[r + 96] = 3;
        data[r + 97] = 5;
        data[r + 104..r + 112].copy_from_slice(&9u64.to_le_bytes());
        let ts = 8 + switchboard::SUBMISSION_TIMESTAMPS_OFFSET + 8 * 5;
        data[ts..ts + 8].copy_from_slice(&1_234i64.to_le_bytes());
        assert_eq!(
            switchboard::FeedResult::decode(&data),
            Some(feed(7, 2, 6, 8, 1_234))
        );
        // no result yet, an index past the 32 submissions, a short or foreign account
        let mut no_slot = data.clone();
        no_slot[r + 104..r + 112].fill(0);
        let mut bad_idx = data.clone();
        bad_idx[r + 97] = 32;
        let mut other = data.clone();
        other[0] ^= 1;
        for bad in [no_slot, bad_idx, other, data[..data.len() - 1].to_vec()] {
            assert_eq!(switchboard::FeedResult::decode(&bad), None);
        }
    }

    #[test]
    fn bounds_at_an_exponent_are_the_exact_roundings() {
        // against the direct formulas, over remainders on every side of the divisor
        let p8 = 10u128.pow(10); // 18 decimals to 10^-8
        for v in [
            5 * p8,
            5 * p8 + 1,
            6 * p8 - 1,
            123_456_789_012_345_678_901u128,
        ] {
            for s in [0, 1, p8 - 1, p8, p8 + 1, 3 * p8 / 2, v / 10] {
                let (lo, up, mid, conf) = to_expo(v, s, -8).unwrap();
                assert_eq!(u128::from(lo), (v - s) / p8, "{v} {s}");
                assert_eq!(u128::from(up), (v + s).div_ceil(p8), "{v} {s}");
                assert_eq!(u128::from(mid), v / p8);
                assert_eq!(u128::from(conf), s.div_ceil(p8));
            }
        }
        // every exponent a division serves
        for expo in -18..=0 {
            let p = 10u128.pow((18 + expo) as u32);
            for v in [
                p,
                p + 1,
                7 * p - 1,
                1_000 * p + 3,
                u128::MAX / 3,
                (u128::MAX >> 1) - 5,
            ] {
                let s = v / 20;
                if let Some((lo, up, mid, conf)) = to_expo(v, s, expo) {
                    assert_eq!(u128::from(lo), (v - s) / p);
                    assert_eq!(u128::from(up), (v + s).div_ceil(p));
                    assert_eq!(u128::from(mid), v / p);
                    assert_eq!(u128::from(conf), s.div_ceil(p));
                } else {
                    assert!((v + s).div_ceil(p) > u128::from(u64::MAX));
                }
            }
        }
        // exponents below -18 multiply exactly; past u64 there is no price
        assert_eq!(to_expo(7, 2, -19), Some((50, 90, 70, 20)));
        assert_eq!(to_expo(u128::from(u64::MAX), 0, -19), None);
    }

    #[test]
    fn divergence_is_exact_in_bps_of_the_reference() {
        assert!(!diverges(10_100, 10_000, 100));
        assert!(diverges(10_101, 10_000, 100));
        assert!(!diverges(9_900, 10_000, 100));
        assert!(diverges(9_899, 10_000, 100));
        assert!(!diverges(u64::MAX, u64::MAX, 1));
    }
}
