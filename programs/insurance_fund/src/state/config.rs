//! What each configuration change writes: one method per change, on the account it changes,
//! with the instruction's own checks and the configuration stamp (`Fund::next_config_seq`).
//! The governance handlers call them after `timelock::authorize_change`; off-chain,
//! `ConfigChange::apply` (used by `ifund propose` to check a proposal and print its diff)
//! calls the same methods, so a proposal is checked against exactly what the program writes.
//! The whole-account checks (`Fund::invariant`, `Claimant::invariant`) stay with the caller,
//! at the end of the instruction.

use crate::constants::BPS_DENOMINATOR;
use crate::error::FundError;
use crate::state::{
    Asset, AssetParams, Claimant, ClaimantCaps, CrisisProfile, DrawConfig, Fund, RebalanceConfig,
};
use anchor_lang::prelude::*;

/// The fund-level bounds `set_bounds` writes, as one group.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundsArgs {
    /// Minimum share of NAV held in liquid-class assets (bps).
    pub min_liquid_bps: u16,
    /// Oldest cached price (seconds) that operations needing NAV accept: 1..=86,400.
    pub max_price_age_secs: u32,
    /// Longest a pause lasts unless governance renews it: 3,600..=2,592,000 s.
    pub max_pause_secs: u32,
    /// Delay before a queued loosening change may execute: 0..=2,592,000 s (0: none).
    pub timelock_secs: u32,
}

/// `set_rebalance_params`' argument: the stored `RebalanceConfig` without its padding, so no
/// caller can send a pad (the stored form gets zeros).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RebalanceParams {
    pub band_bps: u16,
    pub start_premium_bps: u16,
    pub max_premium_bps: u16,
    pub max_discount_bps: u16,
    pub auction_duration_secs: u32,
    pub window_secs: u32,
    pub max_volume_per_window: u64,
    pub premium_budget_per_window: u64,
    pub min_trade_value: u64,
    pub crisis: CrisisParams,
}

/// The crisis profile in `RebalanceParams`: the same fields as the stored `CrisisProfile`
/// (which has no padding left), kept as the argument type so that the argument types stay
/// apart from the stored layout.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrisisParams {
    pub max_volume_per_window: u64,
    pub premium_budget_per_window: u64,
    pub auction_duration_secs: u32,
    pub max_premium_bps: u16,
    pub max_discount_bps: u16,
    pub gap_trigger_bps: u16,
    pub liquid_target_bps: u16,
    pub hold_secs: u32,
}

/// `set_draw_params`' argument: the stored `DrawConfig` without its padding.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrawParams {
    pub approval_threshold: u64,
    pub fund_cap_bps: u16,
    pub window_secs: u32,
}

impl From<CrisisParams> for CrisisProfile {
    fn from(p: CrisisParams) -> Self {
        Self {
            max_volume_per_window: p.max_volume_per_window,
            premium_budget_per_window: p.premium_budget_per_window,
            auction_duration_secs: p.auction_duration_secs,
            max_premium_bps: p.max_premium_bps,
            max_discount_bps: p.max_discount_bps,
            gap_trigger_bps: p.gap_trigger_bps,
            liquid_target_bps: p.liquid_target_bps,
            hold_secs: p.hold_secs,
        }
    }
}

/// The stored profile as an argument (its padding dropped), for clients.
impl From<CrisisProfile> for CrisisParams {
    fn from(c: CrisisProfile) -> Self {
        Self {
            max_volume_per_window: c.max_volume_per_window,
            premium_budget_per_window: c.premium_budget_per_window,
            auction_duration_secs: c.auction_duration_secs,
            max_premium_bps: c.max_premium_bps,
            max_discount_bps: c.max_discount_bps,
            gap_trigger_bps: c.gap_trigger_bps,
            liquid_target_bps: c.liquid_target_bps,
            hold_secs: c.hold_secs,
        }
    }
}

impl From<RebalanceParams> for RebalanceConfig {
    fn from(p: RebalanceParams) -> Self {
        Self {
            band_bps: p.band_bps,
            start_premium_bps: p.start_premium_bps,
            max_premium_bps: p.max_premium_bps,
            max_discount_bps: p.max_discount_bps,
            auction_duration_secs: p.auction_duration_secs,
            window_secs: p.window_secs,
            max_volume_per_window: p.max_volume_per_window,
            premium_budget_per_window: p.premium_budget_per_window,
            min_trade_value: p.min_trade_value,
            crisis: p.crisis.into(),
        }
    }
}

/// The stored parameters as an argument (padding dropped), for clients.
impl From<RebalanceConfig> for RebalanceParams {
    fn from(c: RebalanceConfig) -> Self {
        Self {
            band_bps: c.band_bps,
            start_premium_bps: c.start_premium_bps,
            max_premium_bps: c.max_premium_bps,
            max_discount_bps: c.max_discount_bps,
            auction_duration_secs: c.auction_duration_secs,
            window_secs: c.window_secs,
            max_volume_per_window: c.max_volume_per_window,
            premium_budget_per_window: c.premium_budget_per_window,
            min_trade_value: c.min_trade_value,
            crisis: c.crisis.into(),
        }
    }
}

impl From<DrawParams> for DrawConfig {
    fn from(p: DrawParams) -> Self {
        Self {
            approval_threshold: p.approval_threshold,
            fund_cap_bps: p.fund_cap_bps,
            _pad: [0; 2],
            window_secs: p.window_secs,
        }
    }
}

/// The stored parameters as an argument (padding dropped), for clients.
impl From<DrawConfig> for DrawParams {
    fn from(c: DrawConfig) -> Self {
        Self {
            approval_threshold: c.approval_threshold,
            fund_cap_bps: c.fund_cap_bps,
            window_secs: c.window_secs,
        }
    }
}

/// A claimant before and after `update_claimant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimantBefore {
    pub caps: ClaimantCaps,
    pub enabled: bool,
}

impl Fund {
    /// The bounds as stored.
    pub fn bounds(&self) -> BoundsArgs {
        BoundsArgs {
            min_liquid_bps: self.min_liquid_bps,
            max_price_age_secs: self.max_price_age_secs,
            max_pause_secs: self.max_pause_secs,
            timelock_secs: self.timelock_secs,
        }
    }

    /// `set_bounds`: writes the four bounds and stamps them; returns the bounds before.
    pub fn set_bounds(&mut self, b: &BoundsArgs) -> Result<BoundsArgs> {
        let before = self.bounds();
        self.min_liquid_bps = b.min_liquid_bps;
        self.max_price_age_secs = b.max_price_age_secs;
        self.max_pause_secs = b.max_pause_secs;
        self.timelock_secs = b.timelock_secs;
        self.bounds_seq = self.next_config_seq()?;
        Ok(before)
    }

    /// `set_rebalance_params`: the parameters must configure rebalancing
    /// (`InvalidRebalanceBand`); replaces them (bucket levels and auction clocks kept) and
    /// stamps them; returns the parameters before.
    pub fn set_rebalance_params(&mut self, p: &RebalanceParams) -> Result<RebalanceConfig> {
        let p = RebalanceConfig::from(*p);
        require!(p.is_configured(), FundError::InvalidRebalanceBand);
        let before = self.rebalance;
        self.rebalance = p;
        self.rebalance_seq = self.next_config_seq()?;
        Ok(before)
    }

    /// `set_draw_params`: a fund-wide cap above 0 (`InvalidDrawCap`); replaces the parameters
    /// (the draw bucket kept) and stamps them; returns the parameters before.
    pub fn set_draw_params(&mut self, p: &DrawParams) -> Result<DrawConfig> {
        require!(p.fund_cap_bps > 0, FundError::InvalidDrawCap);
        let before = self.draws;
        self.draws = DrawConfig::from(*p);
        self.draws_seq = self.next_config_seq()?;
        Ok(before)
    }

    /// `set_guardian`: a given guardian is not the default key (`InvalidGovernance`); `None`
    /// clears the role (stored as the default key). Stamps it; returns the guardian before.
    pub fn set_guardian(&mut self, guardian: Option<Pubkey>) -> Result<Pubkey> {
        let new_guardian = guardian.unwrap_or_default();
        require!(
            guardian.is_none() || new_guardian != Pubkey::default(),
            FundError::InvalidGovernance
        );
        let before = self.guardian;
        self.guardian = new_guardian;
        self.guardian_seq = self.next_config_seq()?;
        Ok(before)
    }

    /// `update_asset`: `mint` registered (`UnknownAsset`) and not retired (`AssetIsRetired`);
    /// replaces its parameters (`Asset::apply_params`) and stamps it; returns the parameters
    /// before.
    pub fn update_asset(&mut self, mint: &Pubkey, params: &AssetParams) -> Result<AssetParams> {
        let index = self.asset_index(mint)?;
        require!(!self.assets[index].is_retired(), FundError::AssetIsRetired);
        let before = self.assets[index].params()?;
        self.assets[index].apply_params(params);
        self.assets[index].config_seq = self.next_config_seq()?;
        Ok(before)
    }

    /// `add_asset`, after `Fund::check_can_add`: appends `asset` (its mint, vault, decimals
    /// and token program, as its accounts describe them) with `params`, target weight 0, and
    /// stamps it; returns its index.
    pub fn push_asset(&mut self, mut asset: Asset, params: &AssetParams) -> Result<usize> {
        let index = self.asset_count as usize;
        asset.apply_params(params);
        asset.config_seq = self.next_config_seq()?;
        self.assets[index] = asset;
        self.asset_count += 1;
        Ok(index)
    }

    /// `set_targets`: one target per registered asset, in asset order
    /// (`TargetsLengthMismatch`), each <= 10,000 bps (`TargetTooHigh`), summing to exactly
    /// 10,000 (`TargetsSumInvalid`); writes them.
    pub fn set_targets(&mut self, targets: &[u16]) -> Result<()> {
        require!(
            targets.len() == self.asset_count as usize,
            FundError::TargetsLengthMismatch
        );
        let mut sum: u32 = 0;
        for t in targets {
            require!(*t <= BPS_DENOMINATOR, FundError::TargetTooHigh);
            sum += u32::from(*t);
        }
        require!(
            sum == u32::from(BPS_DENOMINATOR),
            FundError::TargetsSumInvalid
        );
        for (asset, t) in self.registered_assets_mut().iter_mut().zip(targets) {
            asset.target_bps = *t;
        }
        Ok(())
    }

    /// `retire_asset`: `mint` registered (`UnknownAsset`), then `Asset::retire`; stamps it
    /// (a queued change of the asset is void). Returns its index.
    pub fn retire_asset(&mut self, mint: &Pubkey) -> Result<usize> {
        let index = self.asset_index(mint)?;
        let seq = self.next_config_seq()?;
        let asset = &mut self.assets[index];
        asset.retire()?;
        asset.config_seq = seq;
        Ok(index)
    }

    /// `propose_governance`: the successor is neither the default key nor the current
    /// governance (`InvalidGovernance`); records it as pending. Returns the pending
    /// governance before.
    pub fn propose_governance(&mut self, new_governance: Pubkey) -> Result<Pubkey> {
        require!(
            new_governance != Pubkey::default() && new_governance != self.governance,
            FundError::InvalidGovernance
        );
        let before = self.pending_governance;
        self.pending_governance = new_governance;
        Ok(before)
    }
}

impl Claimant {
    /// `register_claimant`: the keys pass `Claimant::check_keys`; the new record, enabled,
    /// nothing drawn or declared, stamped `config_seq`, checked (`Claimant::invariant`). The
    /// one constructor of a claimant.
    pub fn register(
        fund: Pubkey,
        authority: Pubkey,
        payout_owner: Pubkey,
        caps: ClaimantCaps,
        config_seq: u64,
        bump: u8,
    ) -> Result<Self> {
        Self::check_keys(&fund, &authority, &payout_owner)?;
        let claimant = Self {
            fund,
            authority,
            payout_owner,
            caps,
            drawn_lifetime: 0,
            window_level: 0,
            window_updated_at: 0,
            unapproved_level: 0,
            unapproved_updated_at: 0,
            config_seq,
            open_shortfalls: 0,
            enabled: true,
            bump,
        };
        claimant.invariant()?;
        Ok(claimant)
    }

    /// `update_claimant`: the payout owner passes `Claimant::check_keys`; replaces caps,
    /// payout owner and the enabled flag (drawn amounts kept), stamps the record
    /// `config_seq` and checks it (`Claimant::invariant`). Returns caps and flag before.
    pub fn update(
        &mut self,
        payout_owner: Pubkey,
        caps: ClaimantCaps,
        enabled: bool,
        config_seq: u64,
    ) -> Result<ClaimantBefore> {
        Self::check_keys(&self.fund, &self.authority, &payout_owner)?;
        let before = ClaimantBefore {
            caps: self.caps,
            enabled: self.enabled,
        };
        self.payout_owner = payout_owner;
        self.caps = caps;
        self.enabled = enabled;
        self.config_seq = config_seq;
        self.invariant()?;
        Ok(before)
    }
}
