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
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

/// A price that passed every check of its source. One whole token is worth
/// `mantissa * 10^expo` whole numeraire units, for each bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatedPrice {
    pub lower: u64,
    pub upper: u64,
    /// The spot confidence interval, for reporting.
    pub conf: u64,
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
        pyth_solana_receiver_sdk::ID,
        FundError::OracleWrongOwner
    );
    let update = {
        let data = account.try_borrow_data()?;
        PriceUpdateV2::try_deserialize(&mut &data[..])
            .map_err(|_| error!(FundError::OracleInvalidAccount))?
    };
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
    Ok(ValidatedPrice {
        lower,
        upper,
        conf: m.conf,
        expo: m.exponent,
        publish_time: m.publish_time,
    })
}
