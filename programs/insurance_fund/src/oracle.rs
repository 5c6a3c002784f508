//! Price sources. Callers see only [`ValidatedPrice`]; adding a source (e.g. Switchboard
//! On-Demand) means a new `OracleSource` variant and a new arm in [`read_price`], nothing else.
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

use crate::error::FundError;
use crate::math::SafeMath;
use crate::state::{OracleConfig, OracleSource};
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
            expo: config.fixed_expo,
            publish_time: now,
        }),
        OracleSource::PythPull => {
            let account = account.ok_or_else(|| error!(FundError::MissingRemainingAccounts))?;
            read_pyth(config, account, now, is_other_assets_feed)
        }
    }
}

fn read_pyth(
    config: &OracleConfig,
    account: &AccountInfo,
    now: i64,
    is_other_assets_feed: impl Fn(&[u8; 32]) -> bool,
) -> Result<ValidatedPrice> {
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
    require!(
        age <= i64::from(config.max_age_secs),
        FundError::OracleStale
    );
    require!(
        m.price > 0 && m.ema_price > 0,
        FundError::OracleNonPositivePrice
    );
    let (spot, ema) = (m.price as u64, m.ema_price as u64);
    let max_conf = u128::from(config.max_conf_bps);
    for (p, c) in [(spot, m.conf), (ema, m.ema_conf)] {
        require!(
            u128::from(c).safe_mul(10_000)? <= u128::from(p).safe_mul(max_conf)?,
            FundError::OracleConfidenceTooWide
        );
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
        expo: m.exponent,
        publish_time: m.publish_time,
    };
    Ok(pegged(price, config.peg_band_bps))
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

    fn price(lower: u64, upper: u64, expo: i32) -> ValidatedPrice {
        ValidatedPrice {
            lower,
            upper,
            conf: 1,
            spot_lower: lower,
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
}
