//! Per-asset configuration and counters, stored inline in the `Fund` (zero-copy).

use crate::constants::*;
use crate::error::FundError;
use crate::math::SafeMath;
use anchor_lang::prelude::*;

/// How quickly an asset can be turned into the numeraire in a crisis. Draws pay from the most
/// liquid class first; the fund keeps at least `min_liquid_bps` of NAV in `Liquid` assets.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[borsh(use_discriminant = false)]
#[repr(u8)]
pub enum LiquidityClass {
    /// Stablecoins and the numeraire itself.
    Liquid = 0,
    /// LSTs, lending receipts: redeemable but not instantly at par.
    YieldBearing = 1,
    /// LP tokens and anything else that needs a market to exit.
    Illiquid = 2,
}

impl TryFrom<u8> for LiquidityClass {
    type Error = anchor_lang::error::Error;
    fn try_from(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::Liquid),
            1 => Ok(Self::YieldBearing),
            2 => Ok(Self::Illiquid),
            _ => err!(FundError::InvalidLiquidityClass),
        }
    }
}

/// Where an asset's price comes from. New sources (e.g. Switchboard On-Demand) are added as
/// variants here and handled in the oracle module; callers only see a validated price.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
// On the wire (instruction arguments, events, IDL) Borsh encodes the variant index
// (PythPull = 0, Fixed = 1); the byte stored in `OracleConfig::source` is the discriminant
// below, so a zeroed slot (0) is never a valid source.
#[borsh(use_discriminant = false)]
#[repr(u8)]
pub enum OracleSource {
    /// A Pyth pull-oracle `PriceUpdateV2` account for `feed_id`.
    PythPull = 1,
    /// A governance-set constant: only for the numeraire itself.
    Fixed = 2,
}

impl TryFrom<u8> for OracleSource {
    type Error = anchor_lang::error::Error;
    fn try_from(v: u8) -> Result<Self> {
        match v {
            1 => Ok(Self::PythPull),
            2 => Ok(Self::Fixed),
            _ => err!(FundError::InvalidOracleSource),
        }
    }
}

/// Which token program owns the mint (and therefore the vault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TokenProgramKind {
    SplToken = 0,
    Token2022 = 1,
}

impl TokenProgramKind {
    pub fn from_program_id(id: &Pubkey) -> Result<Self> {
        if *id == anchor_spl::token::ID {
            Ok(Self::SplToken)
        } else if *id == anchor_spl::token_2022::ID {
            Ok(Self::Token2022)
        } else {
            err!(FundError::TokenProgramMismatch)
        }
    }

    pub fn program_id(self) -> Pubkey {
        match self {
            Self::SplToken => anchor_spl::token::ID,
            Self::Token2022 => anchor_spl::token_2022::ID,
        }
    }
}

/// Per-asset switches. An asset can be wound down one direction at a time.
pub mod asset_flags {
    /// `deposit_fees` accepts this asset.
    pub const DEPOSIT: u8 = 1 << 0;
    /// Keepers may deliver this asset into the fund.
    pub const REBALANCE_IN: u8 = 1 << 1;
    /// Keepers may take this asset out of the fund.
    pub const REBALANCE_OUT: u8 = 1 << 2;
    /// Draws may pay out this asset.
    pub const DRAW: u8 = 1 << 3;
    pub const ALL: u8 = DEPOSIT | REBALANCE_IN | REBALANCE_OUT | DRAW;
}

/// Oracle configuration as stored (zero-copy).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OracleConfig {
    /// Pyth feed id (for `PythPull`); zero otherwise.
    pub feed_id: [u8; 32],
    /// Price mantissa (for `Fixed`): one whole token = `fixed_price * 10^fixed_expo` numeraire.
    pub fixed_price: u64,
    /// Oldest accepted publish time, in seconds before now (for `PythPull`).
    pub max_age_secs: u32,
    pub fixed_expo: i32,
    /// Widest accepted confidence interval as bps of the price (for `PythPull`).
    pub max_conf_bps: u16,
    /// Peg band (for `PythPull`, liquid assets only): a price whose conservative bounds both
    /// lie within this many bps of 1.00 numeraire counts as exactly 1.00; outside it, the
    /// bounds as published. 0 = no peg.
    pub peg_band_bps: u16,
    /// `OracleSource` as u8.
    pub source: u8,
    pub _reserved: [u8; 3],
}

/// Oracle configuration as passed by governance.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleParams {
    pub source: OracleSource,
    pub feed_id: [u8; 32],
    pub max_age_secs: u32,
    pub max_conf_bps: u16,
    pub fixed_price: u64,
    pub fixed_expo: i32,
    /// See `OracleConfig::peg_band_bps`; 0 for a fixed price.
    pub peg_band_bps: u16,
}

impl From<OracleParams> for OracleConfig {
    fn from(p: OracleParams) -> Self {
        // Fields that do not apply to the source are stored as zero, so two configs that
        // behave the same compare equal.
        let (feed_id, max_age_secs, max_conf_bps, fixed_price, fixed_expo, peg_band_bps) =
            match p.source {
                OracleSource::PythPull => (
                    p.feed_id,
                    p.max_age_secs,
                    p.max_conf_bps,
                    0,
                    0,
                    p.peg_band_bps,
                ),
                OracleSource::Fixed => ([0; 32], 0, 0, p.fixed_price, p.fixed_expo, 0),
            };
        Self {
            feed_id,
            fixed_price,
            max_age_secs,
            fixed_expo,
            max_conf_bps,
            source: p.source as u8,
            peg_band_bps,
            _reserved: [0; 3],
        }
    }
}

impl OracleConfig {
    /// Bounds of an oracle configuration; each violation has its own error.
    pub fn validate(&self) -> Result<()> {
        match OracleSource::try_from(self.source)? {
            OracleSource::PythPull => {
                require!(self.feed_id != [0; 32], FundError::InvalidOracleFeedId);
                require!(
                    (1..=MAX_ORACLE_AGE_SECS).contains(&self.max_age_secs),
                    FundError::InvalidOracleMaxAge
                );
                require!(
                    (1..=MAX_ORACLE_CONF_BPS).contains(&self.max_conf_bps),
                    FundError::InvalidOracleConfidence
                );
                require!(
                    self.peg_band_bps <= MAX_PEG_BAND_BPS,
                    FundError::InvalidPegBand
                );
            }
            OracleSource::Fixed => {
                require!(
                    self.fixed_price > 0
                        && (MIN_FIXED_EXPO..=MAX_FIXED_EXPO).contains(&self.fixed_expo),
                    FundError::InvalidFixedPrice
                );
            }
        }
        Ok(())
    }
}

/// A second price source (`Asset::fallback`), as stored (zero-copy): a Switchboard On-Demand
/// pull feed that stands in when the primary Pyth feed is stale or too uncertain and
/// cross-checks it when both are fresh (`oracle::price_asset`). All zero = none.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FallbackConfig {
    /// The pull feed account (`PullFeedAccountData`, owned by the Switchboard On-Demand
    /// program). The account address is the feed's identity: a feed's job hash alone would
    /// accept a copy of the job on a queue of other oracles.
    pub feed: Pubkey,
    /// Oldest accepted result, in seconds before now.
    pub max_age_secs: u32,
    /// Widest accepted spread (the larger of the result's standard deviation and its
    /// samples' distance from the median) as bps of the median.
    pub max_conf_bps: u16,
    /// Largest difference between the fallback's median and the primary's price (fresh, or
    /// the last good one) as bps of the primary's: beyond it the fallback neither prices the
    /// asset nor lets a fresh primary through.
    pub max_divergence_bps: u16,
    /// `FALLBACK_SWITCHBOARD` (1), or 0 = none.
    pub source: u8,
    pub _reserved: [u8; 7],
}

/// `FallbackConfig::source` of a Switchboard On-Demand pull feed.
pub const FALLBACK_SWITCHBOARD: u8 = 1;

/// A fallback as passed by governance (`AssetParams::fallback`; `None` = no fallback).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FallbackParams {
    /// The Switchboard On-Demand pull feed account.
    pub feed: Pubkey,
    pub max_age_secs: u32,
    pub max_conf_bps: u16,
    pub max_divergence_bps: u16,
}

impl From<Option<FallbackParams>> for FallbackConfig {
    fn from(p: Option<FallbackParams>) -> Self {
        match p {
            None => Self::default(),
            Some(p) => Self {
                feed: p.feed,
                max_age_secs: p.max_age_secs,
                max_conf_bps: p.max_conf_bps,
                max_divergence_bps: p.max_divergence_bps,
                source: FALLBACK_SWITCHBOARD,
                _reserved: [0; 7],
            },
        }
    }
}

impl FallbackConfig {
    pub fn is_set(&self) -> bool {
        self.source != 0
    }

    pub fn params(&self) -> Option<FallbackParams> {
        self.is_set().then_some(FallbackParams {
            feed: self.feed,
            max_age_secs: self.max_age_secs,
            max_conf_bps: self.max_conf_bps,
            max_divergence_bps: self.max_divergence_bps,
        })
    }

    /// Whether `new` makes the fund riskier than `self` (the timelock's rule): a fallback
    /// added where there was none, another feed, or a larger max age, confidence or
    /// divergence. Removing one, or narrowing its limits, tightens: the asset then falls back
    /// less often or never.
    pub fn loosens_to(&self, new: &FallbackConfig) -> bool {
        new.is_set()
            && (!self.is_set()
                || new.feed != self.feed
                || new.max_age_secs > self.max_age_secs
                || new.max_conf_bps > self.max_conf_bps
                || new.max_divergence_bps > self.max_divergence_bps)
    }

    /// None (all zero), or a known source with a non-default feed (`InvalidFallback`), a max
    /// age and confidence within the primary's bounds (`InvalidOracleMaxAge`,
    /// `InvalidOracleConfidence`) and a divergence limit in
    /// `1..=MAX_DIVERGENCE_BPS` (`InvalidDivergenceLimit`).
    pub fn validate(&self) -> Result<()> {
        if *self == Self::default() {
            return Ok(());
        }
        require!(
            self.source == FALLBACK_SWITCHBOARD
                && self.feed != Pubkey::default()
                && self._reserved == [0; 7],
            FundError::InvalidFallback
        );
        require!(
            (1..=MAX_ORACLE_AGE_SECS).contains(&self.max_age_secs),
            FundError::InvalidOracleMaxAge
        );
        require!(
            (1..=MAX_ORACLE_CONF_BPS).contains(&self.max_conf_bps),
            FundError::InvalidOracleConfidence
        );
        require!(
            (1..=MAX_DIVERGENCE_BPS).contains(&self.max_divergence_bps),
            FundError::InvalidDivergenceLimit
        );
        Ok(())
    }
}

/// The governance-settable part of an asset (everything but the target weight, which
/// `set_targets` sets for all assets at once).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetParams {
    /// Concentration cap: the asset's weight should never exceed this (bps of NAV).
    pub max_weight_bps: u16,
    /// Valuation haircut applied on top of the oracle's conservative price.
    pub haircut_bps: u16,
    pub class: LiquidityClass,
    pub oracle: OracleParams,
    /// `asset_flags` bits.
    pub flags: u8,
    /// A second price source for a Pyth-priced asset; `None` = none.
    pub fallback: Option<FallbackParams>,
}

/// The last validated price of an asset, cached by `refresh_prices`. One whole token is worth
/// `mantissa * 10^expo` whole numeraire units at each bound; all zero until first refreshed.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PriceCache {
    /// Lower bound: values holdings and what the fund receives.
    pub lower: u64,
    /// Upper bound: prices what the fund gives.
    pub upper: u64,
    /// Spot confidence interval (reporting only).
    pub conf: u64,
    /// `spot - conf`: what a gap-clearing sale's floor is computed from (the upper bound
    /// lags spot after a gap, by the EMA).
    pub spot_lower: u64,
    /// Publish time of the cached price (unix seconds); 0 = never refreshed.
    pub publish_time: i64,
    pub expo: i32,
    /// 1 when the fallback source wrote the cached bounds (`oracle::PriceSource::Fallback`),
    /// 0 when the primary did (or a fixed price).
    pub on_fallback: u8,
    pub _reserved: [u8; 3],
    /// The last good primary price (spot, at `expo`) and its publish time: what a fallback
    /// must agree with to price the asset. 0 = none yet (the fallback never prices an asset
    /// whose primary never did).
    pub primary_price: u64,
    pub primary_time: i64,
}

impl PriceCache {
    pub fn lower_price(&self) -> crate::math::valuation::Price {
        crate::math::valuation::Price {
            mantissa: self.lower,
            expo: self.expo,
        }
    }

    pub fn upper_price(&self) -> crate::math::valuation::Price {
        crate::math::valuation::Price {
            mantissa: self.upper,
            expo: self.expo,
        }
    }

    pub fn spot_lower_price(&self) -> crate::math::valuation::Price {
        crate::math::valuation::Price {
            mantissa: self.spot_lower,
            expo: self.expo,
        }
    }

    /// The price has gapped: its upper bound (which follows the EMA down only slowly) is more
    /// than `trigger_bps` above `spot - conf`. Exact in `u128`; 0 disables it.
    pub fn has_gapped(&self, trigger_bps: u16) -> bool {
        trigger_bps > 0
            && u128::from(self.upper) * 10_000
                > u128::from(self.spot_lower) * (10_000 + u128::from(trigger_bps))
    }

    /// Fresh when it exists and is at most `max_age_secs` old at `now`.
    pub fn is_fresh(&self, now: i64, max_age_secs: u32) -> bool {
        self.publish_time > 0 && now.saturating_sub(self.publish_time) <= i64::from(max_age_secs)
    }

    pub fn is_on_fallback(&self) -> bool {
        self.on_fallback != 0
    }
}

/// One registered asset.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Asset {
    pub mint: Pubkey,
    /// The fund's token account for `mint`: PDA `["vault", fund, mint]`, owned by the fund.
    pub vault: Pubkey,
    pub oracle: OracleConfig,
    pub price: PriceCache,
    /// Auction clocks (unix seconds; 0 = not in that state), kept by `sync_auctions` and by
    /// every fill: since when the asset has been over `target + band` / under
    /// `target - band`. A pair's auction starts at the later of the two.
    pub over_since: i64,
    pub under_since: i64,
    /// Amount the fund has booked as held in the vault.
    pub booked_balance: u64,
    /// Lifetime amount received through `deposit_fees` (measured at the vault).
    pub total_fees_received: u64,
    /// Stamp (`Fund::config_seq`) of the last `add_asset` or `update_asset` of this asset.
    pub config_seq: u64,
    pub target_bps: u16,
    pub max_weight_bps: u16,
    pub haircut_bps: u16,
    /// `LiquidityClass` as u8.
    pub class: u8,
    /// `asset_flags` bits.
    pub flags: u8,
    pub decimals: u8,
    /// `TokenProgramKind` as u8.
    pub token_program: u8,
    pub vault_bump: u8,
    /// 1 once `retire_asset` retired it (one-way): valued at 0, never stale, flags
    /// `DEPOSIT`, `REBALANCE_IN` and `DRAW` clear, target 0.
    pub retired: u8,
    pub _reserved: [u8; 4],
    /// The second price source, if any.
    pub fallback: FallbackConfig,
}

impl Asset {
    pub fn is_registered(&self) -> bool {
        self.mint != Pubkey::default()
    }

    pub fn is_retired(&self) -> bool {
        self.retired != 0
    }

    /// Retired with a balance left that keepers may take (`REBALANCE_OUT`): a buy-out's
    /// out-asset, always over its band until empty (`math::rebalance::FillPair::buy_out`).
    pub fn for_buy_out(&self) -> bool {
        self.is_retired() && self.booked_balance > 0 && self.has_flag(asset_flags::REBALANCE_OUT)
    }

    pub fn has_flag(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }

    pub fn class(&self) -> Result<LiquidityClass> {
        LiquidityClass::try_from(self.class)
    }

    pub fn token_program_id(&self) -> Pubkey {
        if self.token_program == TokenProgramKind::Token2022 as u8 {
            TokenProgramKind::Token2022.program_id()
        } else {
            TokenProgramKind::SplToken.program_id()
        }
    }

    /// The governance-settable parameters as currently stored.
    pub fn params(&self) -> Result<AssetParams> {
        Ok(AssetParams {
            max_weight_bps: self.max_weight_bps,
            haircut_bps: self.haircut_bps,
            class: self.class()?,
            oracle: OracleParams {
                source: OracleSource::try_from(self.oracle.source)?,
                feed_id: self.oracle.feed_id,
                max_age_secs: self.oracle.max_age_secs,
                max_conf_bps: self.oracle.max_conf_bps,
                fixed_price: self.oracle.fixed_price,
                fixed_expo: self.oracle.fixed_expo,
                peg_band_bps: self.oracle.peg_band_bps,
            },
            flags: self.flags,
            fallback: self.fallback.params(),
        })
    }

    /// Applies governance parameters (target weight untouched).
    /// A new oracle configuration drops the cached price, the last good primary price with
    /// it: a price read under the old feed must never value the asset under the new one, so
    /// the asset is stale until refreshed. A new fallback configuration drops the cached
    /// price only when the fallback wrote it (the last good primary price stays).
    pub fn apply_params(&mut self, p: &AssetParams) {
        self.max_weight_bps = p.max_weight_bps;
        self.haircut_bps = p.haircut_bps;
        self.class = p.class as u8;
        let oracle: OracleConfig = p.oracle.into();
        if oracle != self.oracle {
            self.oracle = oracle;
            self.price = PriceCache::default();
        }
        let fallback: FallbackConfig = p.fallback.into();
        if fallback != self.fallback {
            self.fallback = fallback;
            if self.price.is_on_fallback() {
                self.price = PriceCache {
                    primary_price: self.price.primary_price,
                    primary_time: self.price.primary_time,
                    expo: self.price.expo,
                    ..PriceCache::default()
                };
            }
        }
        self.flags = p.flags;
    }

    /// `retire_asset`'s rule (shared with off-chain proposal checks): not retired yet
    /// (`AssetIsRetired`) and target 0 (`AssetTargetNotZero`); marks it retired and clears
    /// `DEPOSIT`, `REBALANCE_IN` and `DRAW` (`REBALANCE_OUT` stays, for buy-outs).
    pub fn retire(&mut self) -> Result<()> {
        require!(!self.is_retired(), FundError::AssetIsRetired);
        require!(self.target_bps == 0, FundError::AssetTargetNotZero);
        self.retired = 1;
        self.flags &= !(asset_flags::DEPOSIT | asset_flags::REBALANCE_IN | asset_flags::DRAW);
        Ok(())
    }

    /// `remove_asset`'s rule (shared with off-chain proposal checks): target 0
    /// (`AssetTargetNotZero`) and nothing booked or held in its vault (`AssetNotEmpty`).
    pub fn check_removable(&self, vault_amount: u64) -> Result<()> {
        require!(self.target_bps == 0, FundError::AssetTargetNotZero);
        require!(
            self.booked_balance == 0 && vault_amount == 0,
            FundError::AssetNotEmpty
        );
        Ok(())
    }

    /// Books a rebalance: `received` measured at the vault came in.
    pub fn credit_rebalance_in(&mut self, received: u64) -> Result<()> {
        self.booked_balance = self.booked_balance.safe_add(received)?;
        Ok(())
    }

    /// Books a rebalance or payout: `amount` left the vault.
    pub fn debit(&mut self, amount: u64) -> Result<()> {
        self.booked_balance = self.booked_balance.safe_sub(amount)?;
        Ok(())
    }

    /// Caches a validated price (`refresh_prices`' rule; the simulator applies the same to
    /// see what a crank would leave): the bounds, confidence, exponent, publish time and
    /// source when `priced` is newer than the cached price (the cache never moves back in
    /// time); the last good primary price and time when `priced` is a primary price newer
    /// than it, at the cached exponent or replacing the cache (a fallback's never).
    /// Returns whether the cached price was replaced.
    pub fn cache_price(&mut self, priced: &crate::oracle::AssetPrice) -> bool {
        let price = &priced.price;
        let updated = price.publish_time > self.price.publish_time;
        let (mut primary_price, mut primary_time) =
            (self.price.primary_price, self.price.primary_time);
        if !priced.on_fallback
            && price.publish_time > primary_time
            && (updated || price.expo == self.price.expo)
        {
            (primary_price, primary_time) = (price.mid, price.publish_time);
        }
        if updated {
            self.price = PriceCache {
                lower: price.lower,
                upper: price.upper,
                conf: price.conf,
                spot_lower: price.spot_lower,
                publish_time: price.publish_time,
                expo: price.expo,
                on_fallback: u8::from(priced.on_fallback),
                _reserved: [0; 3],
                primary_price,
                primary_time,
            };
        } else {
            self.price.primary_price = primary_price;
            self.price.primary_time = primary_time;
        }
        updated
    }

    /// Books the vault balance as read (donations and Token-2022 effects included).
    pub fn sync_balance(&mut self, vault_balance: u64) {
        self.booked_balance = vault_balance;
    }

    /// Books an amount measured as received at the vault.
    pub fn credit_deposit(&mut self, received: u64) -> Result<()> {
        self.booked_balance = self.booked_balance.safe_add(received)?;
        self.total_fees_received = self.total_fees_received.safe_add(received)?;
        Ok(())
    }

    /// Bounds of one asset's configuration; each violation has its own error.
    pub fn validate(&self) -> Result<()> {
        require!(self.target_bps <= BPS_DENOMINATOR, FundError::TargetTooHigh);
        require!(
            self.max_weight_bps <= BPS_DENOMINATOR,
            FundError::MaxWeightTooHigh
        );
        require!(
            self.max_weight_bps >= self.target_bps,
            FundError::MaxWeightBelowTarget
        );
        require!(
            self.haircut_bps <= BPS_DENOMINATOR,
            FundError::HaircutTooHigh
        );
        self.class()?;
        require!(
            self.flags & !asset_flags::ALL == 0,
            FundError::InvalidAssetFlags
        );
        require!(self.token_program <= 1, FundError::InvariantViolated);
        // a retired asset stays wound down: no target, no way in, no payouts
        require!(
            !self.is_retired()
                || (self.retired == 1
                    && self.target_bps == 0
                    && self.flags
                        & (asset_flags::DEPOSIT | asset_flags::REBALANCE_IN | asset_flags::DRAW)
                        == 0),
            FundError::AssetIsRetired
        );
        require!(
            self.oracle.source != OracleSource::Fixed as u8
                || self.class == LiquidityClass::Liquid as u8,
            FundError::FixedPriceNotLiquid
        );
        require!(
            self.oracle.peg_band_bps == 0 || self.class == LiquidityClass::Liquid as u8,
            FundError::InvalidPegBand
        );
        // a fallback stands in for a feed: a fixed price needs none
        require!(
            !self.fallback.is_set() || self.oracle.source == OracleSource::PythPull as u8,
            FundError::InvalidFallback
        );
        self.oracle.validate()?;
        self.fallback.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::PriceCache;

    fn cache(upper: u64, spot_lower: u64) -> PriceCache {
        PriceCache {
            upper,
            spot_lower,
            ..Default::default()
        }
    }

    #[test]
    fn a_gap_is_the_upper_bound_more_than_the_trigger_above_spot_lower() {
        // 2.00 against 1.30: 53.8 % above; 5 % trigger
        assert!(cache(200_000_000, 130_000_000).has_gapped(500));
        // exactly 5 % above is not more than 5 %
        assert!(!cache(105, 100).has_gapped(500));
        assert!(cache(106, 100).has_gapped(500));
        assert!(!cache(200_000_000, 130_000_000).has_gapped(0));
    }
}
