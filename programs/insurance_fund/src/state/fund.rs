//! The fund: its authorities, fund-level bounds and every asset, in one zero-copy account.

use crate::constants::*;
use crate::error::FundError;
use crate::math::rebalance::premium_covers_haircut;
use crate::math::SafeMath;
use crate::state::{asset_flags, Asset, LiquidityClass};
use anchor_lang::prelude::*;

/// What the guardian (or governance) can pause. Only governance can lift a pause.
pub mod pause_flags {
    /// `deposit_fees`.
    pub const DEPOSITS: u8 = 1 << 0;
    /// Keeper rebalances.
    pub const REBALANCES: u8 = 1 << 1;
    /// New shortfall declarations (draws of declared shortfalls are never pausable).
    pub const DECLARATIONS: u8 = 1 << 2;
    pub const ALL: u8 = DEPOSITS | REBALANCES | DECLARATIONS;

    /// A pause or unpause request names at least one known flag and nothing else.
    pub fn check(flags: u8) -> anchor_lang::Result<()> {
        anchor_lang::require!(
            flags != 0 && flags & !ALL == 0,
            crate::error::FundError::InvalidPauseFlags
        );
        Ok(())
    }
}

/// Governance parameters of keeper rebalancing; all zero until `set_rebalance_params` (the
/// fund cannot be rebalanced before). Bounds in `RebalanceConfig::validate`.
#[zero_copy]
// `#[zero_copy]` already implements the IDL for this type; plain Borsh derives (not
// Anchor's, which would implement it twice) let it travel as an instruction argument too.
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct RebalanceConfig {
    /// Half-width of the no-trade band around each target (bps): a pair is eligible when
    /// one side is beyond it (out over `target + band` or in under `target - band`) and the
    /// other is on the wrong side of its target (`math::rebalance::check_fill`).
    pub band_bps: u16,
    /// Keeper premium at the start of an auction and at its end (bps of the value delivered).
    pub start_premium_bps: u16,
    pub max_premium_bps: u16,
    /// Gap clearing: over an auction the price at which the fund sells its out-asset falls
    /// from the upper bound to `(spot - conf) * (1 - max_discount)`, and a keeper never pays
    /// less than that (`math::rebalance::quote_sale`); 0 = the fund always sells at its upper
    /// bound.
    pub max_discount_bps: u16,
    /// Time for the premium to rise from start to max (and the sale price to fall to its
    /// floor); the auction then restarts.
    pub auction_duration_secs: u32,
    /// Both leaky buckets drain their full capacity over this many seconds.
    pub window_secs: u32,
    /// Capacity of the volume bucket (numeraire atoms delivered by keepers).
    pub max_volume_per_window: u64,
    /// Capacity of the premium bucket (numeraire atoms paid to keepers).
    pub premium_budget_per_window: u64,
    /// Smallest fill (numeraire atoms delivered), against dust griefing.
    pub min_trade_value: u64,
    /// Terms set in advance for a crisis; all zero = none (the terms above always apply).
    pub crisis: CrisisProfile,
}

/// Rebalancing terms governance sets in advance (through the timelock, like any loosening)
/// for the hours when the fund must turn risk assets into liquid ones: they apply, instead of
/// the normal ones, while the fund is in crisis mode (`Fund::crisis_mode`: a shortfall is
/// open, a risk asset's price has gapped by `gap_trigger_bps`, or `hold_secs` have not passed
/// since either was last seen), when every fill allowed
/// raises the liquid share (`Fund::check_fill_mode`). The band, start premium, window and
/// minimum trade stay the normal ones.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct CrisisProfile {
    /// Volume and premium bucket capacities in crisis mode (same window and buckets).
    pub max_volume_per_window: u64,
    pub premium_budget_per_window: u64,
    /// Auction length in crisis mode (premium rise and sale-price fall).
    pub auction_duration_secs: u32,
    pub max_premium_bps: u16,
    pub max_discount_bps: u16,
    /// A non-liquid asset holding a balance whose upper price exceeds `spot - conf` by more
    /// than this (a gap the EMA has not caught up with) puts the fund in crisis mode;
    /// 0 = only shortfalls do.
    pub gap_trigger_bps: u16,
    /// Crisis targets: in crisis mode the liquid assets together target at least this share
    /// of NAV, the risk assets' targets shrinking in proportion (`Fund::target_tilt`), so
    /// keepers sell risk assets for liquid ones before further claims arrive; 0 = the
    /// targets stay as set.
    pub liquid_target_bps: u16,
    /// Crisis hold: crisis mode lasts this long after a trigger was last seen
    /// (`Fund::crisis_seen_at`), so the fund keeps selling at a pace the market can absorb
    /// instead of stopping when the first claim is paid or the EMA catches up with a gap;
    /// 0..=`MAX_CRISIS_HOLD_SECS`, 0 = crisis mode ends with its trigger.
    pub hold_secs: u32,
}

impl CrisisProfile {
    pub fn is_set(&self) -> bool {
        *self != Self::default()
    }

    /// All zero, or every bound holds (`InvalidCrisisProfile`); the start premium it is
    /// compared with is the normal one.
    pub fn validate(&self, start_premium_bps: u16) -> Result<()> {
        if !self.is_set() {
            return Ok(());
        }
        require!(
            self.max_volume_per_window > 0
                && (start_premium_bps..=MAX_PREMIUM_BPS).contains(&self.max_premium_bps)
                && self.max_discount_bps <= MAX_DISCOUNT_BPS
                && (MIN_AUCTION_DURATION_SECS..=MAX_AUCTION_DURATION_SECS)
                    .contains(&self.auction_duration_secs)
                && (self.gap_trigger_bps == 0
                    || (MIN_GAP_TRIGGER_BPS..=MAX_GAP_TRIGGER_BPS).contains(&self.gap_trigger_bps))
                && self.liquid_target_bps <= BPS_DENOMINATOR
                && self.hold_secs <= MAX_CRISIS_HOLD_SECS,
            FundError::InvalidCrisisProfile
        );
        Ok(())
    }
}

/// The terms one fill is priced and limited by: the normal ones, or the crisis profile's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillTerms {
    pub auction: crate::math::rebalance::AuctionParams,
    pub max_discount_bps: u16,
    pub max_volume_per_window: u64,
    pub premium_budget_per_window: u64,
    pub crisis: bool,
}

impl RebalanceConfig {
    pub fn is_configured(&self) -> bool {
        *self != Self::default()
    }

    /// All zero (rebalancing not configured yet), or every bound holds, each with its error.
    pub fn validate(&self) -> Result<()> {
        if !self.is_configured() {
            return Ok(());
        }
        require!(
            (1..=MAX_BAND_BPS).contains(&self.band_bps),
            FundError::InvalidRebalanceBand
        );
        require!(
            self.start_premium_bps <= self.max_premium_bps
                && self.max_premium_bps <= MAX_PREMIUM_BPS,
            FundError::InvalidPremium
        );
        require!(
            (MIN_AUCTION_DURATION_SECS..=MAX_AUCTION_DURATION_SECS)
                .contains(&self.auction_duration_secs),
            FundError::InvalidAuctionDuration
        );
        require!(
            (MIN_WINDOW_SECS..=MAX_WINDOW_SECS).contains(&self.window_secs),
            FundError::InvalidRateLimitWindow
        );
        require!(
            self.max_volume_per_window > 0 && self.min_trade_value <= self.max_volume_per_window,
            FundError::InvalidRateLimit
        );
        require!(
            self.max_discount_bps <= MAX_DISCOUNT_BPS,
            FundError::InvalidDiscount
        );
        self.crisis.validate(self.start_premium_bps)
    }

    /// The terms of a fill: the crisis profile's in crisis mode when one is set, else these.
    pub fn terms(&self, crisis: bool) -> FillTerms {
        let c = &self.crisis;
        if crisis && c.is_set() {
            FillTerms {
                auction: crate::math::rebalance::AuctionParams {
                    band_bps: self.band_bps,
                    start_premium_bps: self.start_premium_bps,
                    max_premium_bps: c.max_premium_bps,
                    duration_secs: c.auction_duration_secs,
                },
                max_discount_bps: c.max_discount_bps,
                max_volume_per_window: c.max_volume_per_window,
                premium_budget_per_window: c.premium_budget_per_window,
                crisis: true,
            }
        } else {
            FillTerms {
                auction: self.auction(),
                max_discount_bps: self.max_discount_bps,
                max_volume_per_window: self.max_volume_per_window,
                premium_budget_per_window: self.premium_budget_per_window,
                crisis: false,
            }
        }
    }

    pub fn auction(&self) -> crate::math::rebalance::AuctionParams {
        crate::math::rebalance::AuctionParams {
            band_bps: self.band_bps,
            start_premium_bps: self.start_premium_bps,
            max_premium_bps: self.max_premium_bps,
            duration_secs: self.auction_duration_secs,
        }
    }
}

/// Rate-limit buckets and lifetime counters of keeper rebalancing.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RebalanceState {
    /// Bucket levels (numeraire atoms) as of `last_update`; each drains linearly at its
    /// capacity per `window_secs`.
    pub volume_level: u64,
    pub premium_level: u64,
    pub last_update: i64,
    /// Lifetime totals (numeraire atoms).
    pub total_volume: u64,
    pub total_premium: u64,
    pub fills: u64,
}

/// Governance parameters of shortfalls and draws; zero until `set_draw_params` (no shortfall
/// can be declared before).
#[zero_copy]
// `#[zero_copy]` already implements the IDL for this type; plain Borsh derives (not
// Anchor's, which would implement it twice) let it travel as an instruction argument too.
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct DrawConfig {
    /// Declarations above this value (numeraire atoms) need governance approval.
    pub approval_threshold: u64,
    /// Fund-wide cap: draws per window at most this share of NAV (bps).
    pub fund_cap_bps: u16,
    pub _pad: [u8; 2],
    /// Window of every draw leaky bucket (fund-wide and per claimant).
    pub window_secs: u32,
}

impl DrawConfig {
    pub fn is_configured(&self) -> bool {
        *self != Self::default()
    }

    /// All zero (not configured) or within bounds, each with its error.
    pub fn validate(&self) -> Result<()> {
        if !self.is_configured() {
            return Ok(());
        }
        require!(
            (1..=BPS_DENOMINATOR).contains(&self.fund_cap_bps),
            FundError::InvalidDrawCap
        );
        require!(
            (MIN_WINDOW_SECS..=MAX_WINDOW_SECS).contains(&self.window_secs),
            FundError::InvalidRateLimitWindow
        );
        require!(self._pad == [0; 2], FundError::InvalidDrawCap);
        Ok(())
    }
}

/// Fund-wide draw accounting.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DrawState {
    /// Leaky bucket of value drawn fund-wide (numeraire atoms), as of `updated_at`.
    pub level: u64,
    pub updated_at: i64,
    pub total_drawn: u64,
    /// Ids handed out so far (the next shortfall's id).
    pub shortfall_count: u64,
    /// Shortfalls open now; while non-zero the fund is in shortfall mode.
    pub open_shortfalls: u32,
    pub _pad: [u8; 4],
}

/// One insurance fund. PDA `["fund", create_key]`.
///
/// Zero-copy: the account is 5,056 bytes and handlers touch only the fields they need, so
/// nothing is deserialized onto the 4 KiB stack.
#[account(zero_copy)]
#[derive(Debug, PartialEq, Eq)]
pub struct Fund {
    /// Configures the fund: a Squads vault, an SPL Governance treasury, or a keypair.
    pub governance: Pubkey,
    /// Proposed successor in a two-step transfer; default key when none.
    pub pending_governance: Pubkey,
    /// May pause deposits, rebalances and declarations; default key when unset.
    pub guardian: Pubkey,
    /// The signer whose key seeds this fund's address.
    pub create_key: Pubkey,
    /// Unit of account label, e.g. `b"USD\0\0\0\0\0"`.
    pub numeraire: [u8; 8],
    /// Minimum share of NAV (bps) held in `Liquid`-class assets.
    pub min_liquid_bps: u16,
    /// Decimals of the numeraire amounts the fund reports (NAV, caps).
    pub numeraire_decimals: u8,
    pub bump: u8,
    /// Registered assets occupy `assets[..asset_count]`; the rest are zero.
    pub asset_count: u8,
    /// `pause_flags` bits currently set.
    pub paused: u8,
    /// Layout version of this account.
    pub version: u8,
    pub _reserved: [u8; 1],
    /// Oldest cached price (seconds) an operation that needs NAV accepts.
    pub max_price_age_secs: u32,
    /// Longest a pause lasts unless governance renews it (so a lost guardian key cannot
    /// freeze the fund forever).
    pub max_pause_secs: u32,
    /// The set `paused` bits are in force until this time (unix seconds).
    pub pause_expires_at: i64,
    /// Delay (seconds) between queueing a loosening change and executing it; 0 = none.
    pub timelock_secs: u32,
    pub _reserved2: [u8; 4],
    /// Incremented by every governance transfer; a queued change records the epoch it was
    /// queued in and is void in any other, so a departing authority leaves no trap behind.
    pub governance_epoch: u64,
    /// Configuration sequence: every configuration write takes the next value and stamps it
    /// on the target it changed (the `*_seq` fields below, `Asset::config_seq`,
    /// `Claimant::config_seq`). A queued change records the value when it is queued and is
    /// void (`PendingChangeSuperseded`) once its target carries a later stamp: it executes
    /// only against the configuration it was queued against.
    pub config_seq: u64,
    /// Stamp of the last `set_bounds`.
    pub bounds_seq: u64,
    /// Stamp of the last `set_rebalance_params`.
    pub rebalance_seq: u64,
    /// Stamp of the last `set_draw_params`.
    pub draws_seq: u64,
    /// Stamp of the last `set_guardian`.
    pub guardian_seq: u64,
    /// Keeper rebalancing: governance parameters and the rate-limit buckets.
    pub rebalance: RebalanceConfig,
    pub rebalance_state: RebalanceState,
    /// Shortfalls and draws: governance parameters and state.
    pub draws: DrawConfig,
    pub draw_state: DrawState,
    pub assets: [Asset; MAX_ASSETS],
    /// The flash fill in progress within the current transaction; never set between
    /// transactions.
    pub flash: crate::state::FlashFill,
    /// When an instruction last saw a crisis trigger (unix seconds; 0 = never): a shortfall
    /// opened or closed (`open_shortfall_count`, `close_shortfall_count`), or a refresh
    /// leaving a risk asset gapped (`refresh_prices`). Crisis mode holds for
    /// `CrisisProfile::hold_secs` after it (`Fund::crisis_triggers`).
    pub crisis_seen_at: i64,
}

impl Fund {
    pub const VERSION: u8 = 1;
    /// Account size including Anchor's 8-byte discriminator.
    pub const SPACE: usize = 8 + core::mem::size_of::<Fund>();
    /// Offset in the account data of `flash.active`, the flash-fill lock byte that every
    /// instruction reads first (`lib.rs`).
    pub const FLASH_ACTIVE_OFFSET: usize = 8
        + core::mem::offset_of!(Fund, flash)
        + core::mem::offset_of!(crate::state::FlashFill, active);

    pub fn registered_assets(&self) -> &[Asset] {
        &self.assets[..self.asset_count as usize]
    }

    pub fn registered_assets_mut(&mut self) -> &mut [Asset] {
        let n = self.asset_count as usize;
        &mut self.assets[..n]
    }

    /// Index of the registered asset with this mint.
    pub fn asset_index(&self, mint: &Pubkey) -> Result<usize> {
        self.registered_assets()
            .iter()
            .position(|a| a.mint == *mint)
            .ok_or_else(|| error!(FundError::UnknownAsset))
    }

    /// The pause bits in force at `now` (none once the pause has expired).
    pub fn active_pauses(&self, now: i64) -> u8 {
        if now < self.pause_expires_at {
            self.paused
        } else {
            0
        }
    }

    pub fn is_paused(&self, flag: u8, now: i64) -> bool {
        self.active_pauses(now) & flag != 0
    }

    pub fn has_guardian(&self) -> bool {
        self.guardian != Pubkey::default()
    }

    pub fn has_pending_governance(&self) -> bool {
        self.pending_governance != Pubkey::default()
    }

    /// Whether `add_asset` may register `mint`: not registered yet (`AssetAlreadyRegistered`)
    /// and a free slot (`TooManyAssets`). One place, shared with off-chain proposal checks.
    pub fn check_can_add(&self, mint: &Pubkey) -> Result<()> {
        require!(
            self.registered_assets().iter().all(|a| a.mint != *mint),
            FundError::AssetAlreadyRegistered
        );
        require!(
            (self.asset_count as usize) < MAX_ASSETS,
            FundError::TooManyAssets
        );
        Ok(())
    }

    /// Takes out the asset at `index`: the assets after it move down one slot (asset order,
    /// and so the draw waterfall within a class, is kept) and the freed last slot is zeroed
    /// (`remove_asset`, after `Asset::check_removable`).
    pub fn remove_asset_at(&mut self, index: usize) {
        let n = self.asset_count as usize;
        self.assets.copy_within(index + 1..n, index);
        self.assets[n - 1] = Asset::default();
        self.asset_count -= 1;
    }

    /// The whole configuration, validated as one. Runs after every configuration change, so
    /// no sequence of valid-looking updates can reach an invalid state.
    ///
    /// Rules (each with its own error):
    /// - `min_liquid_bps` <= 10,000;
    /// - `max_price_age_secs` in 1..=86,400; `max_pause_secs` in 3,600..=2,592,000;
    /// - `timelock_secs` <= 2,592,000;
    /// - the rebalance parameters are all zero (not configured) or within their bounds;
    /// - every registered asset passes `Asset::validate` (bps bounds, max weight >= target,
    ///   known class, flags and oracle source);
    /// - target weights sum to exactly 10,000 bps, or to 0 while governance has not set them
    ///   yet (`set_targets` is the only way to change targets and demands 10,000, and
    ///   `add_asset` registers at target 0, so once set the sum stays at 10,000);
    /// - once targets are set, the liquid-class targets sum to at least `min_liquid_bps`;
    /// - once rebalancing is configured, every asset keepers may deliver (`REBALANCE_IN`)
    ///   with a target above 0 has a haircut the maximum premium covers
    ///   (`math::rebalance::premium_covers_haircut`): a fill books what arrives after the
    ///   haircut, so with a smaller premium no keeper could ever profit from buying it back
    ///   and the asset would stay under its target (`HaircutExceedsPremium`).
    pub fn validate_config(&self) -> Result<()> {
        require!(
            self.min_liquid_bps <= BPS_DENOMINATOR,
            FundError::MinLiquidShareTooHigh
        );
        require!(
            (1..=MAX_ORACLE_AGE_SECS).contains(&self.max_price_age_secs),
            FundError::InvalidMaxPriceAge
        );
        require!(
            (MIN_PAUSE_SECS..=MAX_PAUSE_SECS).contains(&self.max_pause_secs),
            FundError::InvalidMaxPause
        );
        require!(
            self.timelock_secs <= MAX_TIMELOCK_SECS,
            FundError::InvalidTimelock
        );
        self.rebalance.validate()?;
        self.draws.validate()?;
        let mut target_sum: u32 = 0;
        let mut liquid_target_sum: u32 = 0;
        // the largest haircut of an asset keepers may deliver with a target above 0 (the
        // cover is monotone in the haircut, so checking the largest checks them all)
        let mut deliverable_haircut: u16 = 0;
        for asset in self.registered_assets() {
            asset.validate()?;
            if asset.target_bps != 0 && asset.flags & asset_flags::REBALANCE_IN != 0 {
                deliverable_haircut = deliverable_haircut.max(asset.haircut_bps);
            }
            target_sum += u32::from(asset.target_bps);
            // the class byte was just validated
            if asset.class == LiquidityClass::Liquid as u8 {
                liquid_target_sum += u32::from(asset.target_bps);
            }
        }
        require!(
            target_sum == 0 || target_sum == u32::from(BPS_DENOMINATOR),
            FundError::TargetsSumInvalid
        );
        if target_sum != 0 {
            require!(
                liquid_target_sum >= u32::from(self.min_liquid_bps),
                FundError::LiquidTargetsBelowMinimum
            );
        }
        require!(
            premium_covers_haircut(self.rebalance.max_premium_bps, deliverable_haircut)
                || !self.rebalance.is_configured(),
            FundError::HaircutExceedsPremium
        );
        Ok(())
    }

    /// The next configuration stamp (`config_seq`), for the target a change writes.
    pub fn next_config_seq(&mut self) -> Result<u64> {
        self.config_seq = self.config_seq.safe_add(1)?;
        Ok(self.config_seq)
    }

    /// A shortfall of `claimant` was declared with the fund's next id: the id is used up, and
    /// one more is open, here and there.
    /// A shortfall is a crisis trigger: the crisis hold counts from `now`.
    pub fn open_shortfall_count(
        &mut self,
        claimant: &mut crate::state::Claimant,
        now: i64,
    ) -> Result<()> {
        self.crisis_seen_at = now;
        self.draw_state.shortfall_count = self.draw_state.shortfall_count.safe_add(1)?;
        self.draw_state.open_shortfalls = self.draw_state.open_shortfalls.safe_add(1)?;
        claimant.open_shortfalls = claimant.open_shortfalls.safe_add(1)?;
        Ok(())
    }

    /// A shortfall of `claimant` was paid or cancelled: one fewer open, here and there. The
    /// shortfall was a live trigger until now: the crisis hold counts from `now`.
    pub fn close_shortfall_count(
        &mut self,
        claimant: &mut crate::state::Claimant,
        now: i64,
    ) -> Result<()> {
        self.crisis_seen_at = now;
        self.draw_state.open_shortfalls = self
            .draw_state
            .open_shortfalls
            .checked_sub(1)
            .ok_or_else(|| error!(FundError::InvariantViolated))?;
        claimant.open_shortfalls = claimant
            .open_shortfalls
            .checked_sub(1)
            .ok_or_else(|| error!(FundError::InvariantViolated))?;
        Ok(())
    }

    /// What instructions that move value check at their end instead of `invariant()`:
    /// `deposit_fees`, `refresh_prices`, `sync_auctions`, `rebalance`, `declare_shortfall`,
    /// `cancel_shortfall` and `draw` write balances, prices, auction clocks, buckets and
    /// counters, never a configuration field, so re-validating the whole configuration there
    /// (one `Asset::validate` per asset, the mint set) proved nothing and cost about 1,500 CU
    /// at 16 assets on every keeper and claimant path. Checked instead, the state they write:
    /// every registered asset's cached bounds are ordered (`lower <= upper`) and its auction
    /// clocks are not negative. (Bucket levels are not compared with their capacities: a
    /// capacity governance lowers may sit below the level until it drains.)
    pub fn invariant_flows(&self) -> Result<()> {
        require!(
            (self.asset_count as usize) <= MAX_ASSETS,
            FundError::InvariantViolated
        );
        for a in self.registered_assets() {
            require!(
                a.price.lower <= a.price.upper && (a.over_since | a.under_since) >= 0,
                FundError::InvariantViolated
            );
        }
        Ok(())
    }

    /// Structural invariants plus the configuration rules; checked at the end of every
    /// instruction that writes the configuration (instructions that only move value check
    /// `invariant_flows`).
    pub fn invariant(&self) -> Result<()> {
        let n = self.asset_count as usize;
        require!(n <= MAX_ASSETS, FundError::InvariantViolated);
        let registered = self.registered_assets();
        // every mint registered once: a 256-bit set of first bytes finds the candidates, and
        // only a mint whose first byte was seen before is compared with every earlier mint
        // (random keys rarely share it: about 16 byte tests instead of 120 key comparisons)
        let mut seen = [0u64; 4];
        for (i, a) in registered.iter().enumerate() {
            // the key as four words: registered (non-zero) and its first byte in one read
            let words: [u64; 4] = bytemuck::cast(a.mint.to_bytes());
            require!(words.iter().any(|&w| w != 0), FundError::InvariantViolated);
            let first = words[0] & 0xff; // little-endian: the key's first byte
            let word = &mut seen[(first >> 6) as usize]; // < 4
            let bit = 1u64 << (first & 63);
            if *word & bit != 0 {
                require!(
                    registered[..i].iter().all(|b| b.mint != a.mint),
                    FundError::InvariantViolated
                );
            }
            *word |= bit;
        }
        require!(
            self.assets[n..].iter().all(|a| *a == Asset::default()),
            FundError::InvariantViolated
        );
        require!(
            self.governance != Pubkey::default() && self.pending_governance != self.governance,
            FundError::InvariantViolated
        );
        require!(
            self.paused & !pause_flags::ALL == 0 && self._reserved2 == [0; 4],
            FundError::InvariantViolated
        );
        require!(
            self.numeraire_decimals <= MAX_NUMERAIRE_DECIMALS,
            FundError::NumeraireDecimalsTooHigh
        );
        self.validate_config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{asset_flags, FlashFill, OracleConfig, OracleSource};

    fn asset(seed: u8, target: u16, max: u16, class: LiquidityClass) -> Asset {
        Asset {
            mint: Pubkey::new_from_array([seed; 32]),
            vault: Pubkey::new_from_array([seed.wrapping_add(100); 32]),
            oracle: OracleConfig {
                source: OracleSource::PythPull as u8,
                feed_id: [seed; 32],
                max_age_secs: 60,
                max_conf_bps: 100,
                ..Default::default()
            },
            target_bps: target,
            max_weight_bps: max,
            class: class as u8,
            flags: asset_flags::ALL,
            ..Default::default()
        }
    }

    fn fund(assets: &[Asset], min_liquid: u16) -> Box<Fund> {
        let mut f: Box<Fund> = Box::new(bytemuck::Zeroable::zeroed());
        f.governance = Pubkey::new_from_array([9; 32]);
        f.min_liquid_bps = min_liquid;
        f.max_price_age_secs = 60;
        f.max_pause_secs = 86_400;
        f.asset_count = assets.len() as u8;
        f.assets[..assets.len()].copy_from_slice(assets);
        f
    }

    fn code(r: Result<()>) -> u32 {
        match r.unwrap_err() {
            anchor_lang::error::Error::AnchorError(e) => e.error_code_number,
            e => panic!("unexpected {e:?}"),
        }
    }

    fn fe(e: FundError) -> u32 {
        e as u32 + anchor_lang::error::ERROR_CODE_OFFSET
    }

    #[test]
    fn account_size_is_exact() {
        assert_eq!(core::mem::size_of::<Asset>(), 288);
        assert_eq!(core::mem::size_of::<crate::state::PriceCache>(), 64);
        assert_eq!(core::mem::size_of::<crate::state::FallbackConfig>(), 48);
        assert_eq!(core::mem::size_of::<FlashFill>(), 40);
        assert_eq!(Fund::SPACE, 8 + 392 + 16 * 288 + 40 + 8);
    }

    /// The offsets `e2e/src/fund.rs` reads a `Fund` account at (its own workspace cannot
    /// depend on this crate): a layout change fails here and names the file to update.
    #[test]
    fn offsets_the_end_to_end_suite_reads() {
        use core::mem::offset_of;
        let at = |field: usize| 8 + field;
        assert_eq!(at(offset_of!(Fund, governance)), 8);
        assert_eq!(at(offset_of!(Fund, pending_governance)), 40);
        assert_eq!(at(offset_of!(Fund, min_liquid_bps)), 144);
        assert_eq!(at(offset_of!(Fund, asset_count)), 148);
        assert_eq!(at(offset_of!(Fund, paused)), 149);
        assert_eq!(at(offset_of!(Fund, timelock_secs)), 168);
        assert_eq!(at(offset_of!(Fund, config_seq)), 184);
        assert_eq!(at(offset_of!(Fund, rebalance_state)), 296);
        assert_eq!(at(offset_of!(Fund, draws)), 344);
        assert_eq!(at(offset_of!(Fund, draw_state)), 360);
        assert_eq!(at(offset_of!(Fund, assets)), 400);
        let price = offset_of!(Asset, price);
        assert_eq!(offset_of!(Asset, mint), 0);
        assert_eq!(offset_of!(Asset, vault), 32);
        assert_eq!(price + offset_of!(crate::state::PriceCache, lower), 120);
        assert_eq!(price + offset_of!(crate::state::PriceCache, upper), 128);
        assert_eq!(
            price + offset_of!(crate::state::PriceCache, publish_time),
            152
        );
        assert_eq!(offset_of!(Asset, booked_balance), 200);
        assert_eq!(offset_of!(Asset, total_fees_received), 208);
        assert_eq!(offset_of!(Asset, target_bps), 224);
        assert_eq!(offset_of!(Asset, max_weight_bps), 226);
        assert_eq!(offset_of!(Asset, token_program), 233);
        assert_eq!(Fund::SPACE, 5_056);
    }

    #[test]
    fn targets_must_sum_to_zero_or_ten_thousand() {
        let a = asset(1, 6000, 8000, LiquidityClass::Liquid);
        let b = asset(2, 4000, 5000, LiquidityClass::Illiquid);
        assert!(fund(&[a, b], 5000).invariant().is_ok());
        let b2 = asset(2, 3999, 5000, LiquidityClass::Illiquid);
        assert_eq!(
            code(fund(&[a, b2], 5000).invariant()),
            fe(FundError::TargetsSumInvalid)
        );
        let z1 = asset(1, 0, 8000, LiquidityClass::Liquid);
        let z2 = asset(2, 0, 5000, LiquidityClass::Illiquid);
        assert!(fund(&[z1, z2], 9000).invariant().is_ok());
    }

    #[test]
    fn liquid_targets_must_cover_the_minimum() {
        let a = asset(1, 6000, 8000, LiquidityClass::Liquid);
        let b = asset(2, 4000, 5000, LiquidityClass::YieldBearing);
        assert!(fund(&[a, b], 6000).invariant().is_ok());
        assert_eq!(
            code(fund(&[a, b], 6001).invariant()),
            fe(FundError::LiquidTargetsBelowMinimum)
        );
    }

    #[test]
    fn a_deliverable_asset_needs_a_premium_that_covers_its_haircut() {
        let mut a = asset(1, 10_000, 10_000, LiquidityClass::Liquid);
        a.haircut_bps = 200;
        let mut f = fund(&[a], 0);
        // rebalancing not configured yet: nothing to cover
        assert!(f.invariant().is_ok());
        f.rebalance = RebalanceConfig {
            band_bps: 100,
            start_premium_bps: 0,
            max_premium_bps: 204, // 200 / 0.98 = 204.08 bps needed
            auction_duration_secs: MIN_AUCTION_DURATION_SECS,
            window_secs: MIN_WINDOW_SECS,
            max_volume_per_window: 1,
            ..Default::default()
        };
        assert_eq!(code(f.invariant()), fe(FundError::HaircutExceedsPremium));
        f.rebalance.max_premium_bps = 205;
        assert!(f.invariant().is_ok());
        // an asset keepers cannot deliver, or with target 0, needs no cover
        f.rebalance.max_premium_bps = 204;
        f.assets[0].flags = asset_flags::ALL & !asset_flags::REBALANCE_IN;
        assert!(f.invariant().is_ok());
        f.assets[0].flags = asset_flags::ALL;
        f.assets[0].target_bps = 0;
        f.assets[0].max_weight_bps = 0;
        assert!(f.invariant().is_ok());
    }

    #[test]
    fn per_asset_bounds_each_have_their_error() {
        let ok = asset(1, 10_000, 10_000, LiquidityClass::Liquid);
        let mut a = ok;
        a.max_weight_bps = 9_999;
        assert_eq!(
            code(fund(&[a], 0).invariant()),
            fe(FundError::MaxWeightBelowTarget)
        );
        let mut a = ok;
        a.max_weight_bps = 10_001;
        assert_eq!(
            code(fund(&[a], 0).invariant()),
            fe(FundError::MaxWeightTooHigh)
        );
        let mut a = ok;
        a.haircut_bps = 10_001;
        assert_eq!(
            code(fund(&[a], 0).invariant()),
            fe(FundError::HaircutTooHigh)
        );
        let mut a = ok;
        a.class = 3;
        assert_eq!(
            code(fund(&[a], 0).invariant()),
            fe(FundError::InvalidLiquidityClass)
        );
        let mut a = ok;
        a.flags = 0x10;
        assert_eq!(
            code(fund(&[a], 0).invariant()),
            fe(FundError::InvalidAssetFlags)
        );
        let mut a = ok;
        a.oracle.source = 0;
        assert_eq!(
            code(fund(&[a], 0).invariant()),
            fe(FundError::InvalidOracleSource)
        );
    }

    #[test]
    fn flow_invariants_check_prices_and_clocks() {
        let a = asset(1, 10_000, 10_000, LiquidityClass::Liquid);
        let mut f = fund(&[a], 0);
        f.assets[0].price.lower = 5;
        f.assets[0].price.upper = 5;
        f.assets[0].over_since = 100;
        assert!(f.invariant_flows().is_ok());
        f.assets[0].price.lower = 6;
        assert_eq!(code(f.invariant_flows()), fe(FundError::InvariantViolated));
        f.assets[0].price.lower = 5;
        f.assets[0].under_since = -1;
        assert_eq!(code(f.invariant_flows()), fe(FundError::InvariantViolated));
    }

    #[test]
    fn structural_invariants_hold() {
        let a = asset(1, 0, 10_000, LiquidityClass::Liquid);
        // duplicate mint
        assert_eq!(
            code(fund(&[a, a], 0).invariant()),
            fe(FundError::InvariantViolated)
        );
        // mints sharing a first byte are compared in full: distinct ones pass, a repeat fails
        let with_mint = |bytes: [u8; 32]| Asset {
            mint: Pubkey::new_from_array(bytes),
            ..a
        };
        let mut k = [9u8; 32];
        k[31] = 1;
        let (x, y, z) = (with_mint([9; 32]), with_mint(k), with_mint([10; 32]));
        assert!(fund(&[x, z, y], 0).invariant().is_ok());
        assert_eq!(
            code(fund(&[x, z, y, a, x], 0).invariant()),
            fe(FundError::InvariantViolated)
        );
        // garbage beyond asset_count
        let mut f = fund(&[a], 0);
        f.assets[3].mint = Pubkey::new_from_array([7; 32]);
        assert_eq!(code(f.invariant()), fe(FundError::InvariantViolated));
        // pending governance equal to governance
        let mut f = fund(&[a], 0);
        f.pending_governance = f.governance;
        assert_eq!(code(f.invariant()), fe(FundError::InvariantViolated));
    }
}
