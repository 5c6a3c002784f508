//! The timelock: which configuration changes wait, and the one place that enforces it.
//!
//! A change that makes the fund riskier ("loosens") applies only after the fund's
//! `timelock_secs`: governance queues it (`queue_change`), anyone executes it after the delay by
//! calling the ordinary instruction with the queued record, and governance can cancel it
//! meanwhile. A change that only tightens applies at once. With `timelock_secs = 0` every
//! change applies at once (a new fund starts so, to be configured in one go).
//!
//! | instruction | loosens (waits) when | otherwise (applies at once) |
//! |---|---|---|
//! | `add_asset` | always | - |
//! | `update_asset` | the (primary) oracle changes; a fallback is added, or its feed changes, or its max age, confidence or divergence limit rises; max weight rises; haircut falls; class becomes more liquid; a flag is set that was clear | caps lowered, haircut raised, flags cleared, class made less liquid, the fallback removed or its limits narrowed |
//! | `set_bounds` | min liquid share falls; max price age rises; max pause rises; timelock falls | the opposite moves |
//! | `set_rebalance_params` | band narrows; start or max premium rises; auction or window shortens; volume cap or premium budget rises; min trade falls; max discount rises; a crisis profile is set where none was, or any of its caps, premium, discount or liquid target rises or its auction shortens; the crisis gap trigger changes at all | the opposite moves; the crisis profile removed (its gap trigger unchanged) |
//! | `set_draw_params` | approval threshold rises; fund-wide cap rises; window shortens | the opposite moves |
//! | `set_guardian` | a new guardian is set | the guardian is removed or unchanged |
//! | `register_claimant` | always | - |
//! | `update_claimant` | payout owner changes; a cap rises; a disabled claimant is enabled | caps lowered, claimant disabled |
//! | `set_targets` | never: targets move value only within the timelocked caps, floor and premium budget | always |
//! | `remove_claimant`, `pause` | never | always |
//! | `retire_asset` | never: one-way, it only takes an asset out of every bound (target already 0) | always |
//! | `remove_asset` | never: the asset holds nothing and has target 0 | always |
//! | `rebalance_begin`, `rebalance_end` | not configuration: a keeper's flash fill, bound by the parameters above | - |
//! | `unpause` | never: lifting a pause restores the configuration governance already accepted | always |
//!
//! A change with several fields loosens when any one field loosens. (`docs/design.md` renders
//! this table; `ConfigChange::effect` is the code.)

use crate::error::FundError;
use crate::events::ChangeExecuted;
use crate::state::{
    Asset, AssetParams, BoundsArgs, Claimant, ClaimantCaps, CrisisProfile, DrawConfig, DrawParams,
    FallbackConfig, Fund, OracleConfig, PendingChange, RebalanceConfig, RebalanceParams,
};
use anchor_lang::prelude::*;

/// One configuration change, as queued and as executed. Its Borsh encoding, hashed, is the
/// identity of a queued change.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum ConfigChange {
    AddAsset {
        mint: Pubkey,
        params: AssetParams,
    },
    UpdateAsset {
        mint: Pubkey,
        params: AssetParams,
    },
    SetBounds {
        bounds: BoundsArgs,
    },
    SetRebalanceParams {
        params: RebalanceParams,
    },
    SetDrawParams {
        params: DrawParams,
    },
    SetGuardian {
        guardian: Option<Pubkey>,
    },
    RegisterClaimant {
        authority: Pubkey,
        payout_owner: Pubkey,
        caps: ClaimantCaps,
    },
    /// The claimant is named by its authority (its address is `["claimant", fund, authority]`).
    UpdateClaimant {
        authority: Pubkey,
        payout_owner: Pubkey,
        caps: ClaimantCaps,
        enabled: bool,
    },
}

/// Whether a change makes the fund riskier (`ConfigChange::effect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeEffect {
    Tightens,
    Loosens,
}

impl ChangeEffect {
    fn loosens_if(cond: bool) -> Self {
        if cond {
            ChangeEffect::Loosens
        } else {
            ChangeEffect::Tightens
        }
    }
}

/// Whether a new crisis profile makes the fund riskier than the old one: any change of the
/// gap trigger (it both loosens the terms and restricts fills to liquidity-raising ones,
/// earlier or later: both directions move risk, so both wait); setting a profile where there
/// was none; any larger cap, premium, discount or crisis liquid target (more risk sold at a
/// discount), a shorter auction, or a longer crisis hold (the crisis terms last longer). Otherwise removing a profile tightens (the normal terms
/// apply).
fn crisis_loosens(old: &CrisisProfile, new: &CrisisProfile) -> bool {
    if new.gap_trigger_bps != old.gap_trigger_bps {
        return true;
    }
    if !new.is_set() {
        return false;
    }
    !old.is_set()
        || new.max_volume_per_window > old.max_volume_per_window
        || new.premium_budget_per_window > old.premium_budget_per_window
        || new.auction_duration_secs < old.auction_duration_secs
        || new.max_premium_bps > old.max_premium_bps
        || new.max_discount_bps > old.max_discount_bps
        || new.gap_trigger_bps != old.gap_trigger_bps
        || new.liquid_target_bps > old.liquid_target_bps
        || new.hold_secs > old.hold_secs
}

impl ConfigChange {
    /// Largest Borsh encoding of any variant (`UpdateAsset`: tag, 32-byte mint and 100 bytes of
    /// parameters, 41 of them the fallback); checked by a unit test.
    pub const MAX_SIZE: usize = 133;

    /// `sha256(borsh(self))`: the last seed of the queued change's address.
    pub fn hash(&self) -> Result<[u8; 32]> {
        let bytes = borsh::to_vec(self)?;
        Ok(solana_sha256_hasher::hashv(&[&bytes]).to_bytes())
    }

    /// The classification table at the top of this module. `claimant` is the current record
    /// for `UpdateClaimant` (ignored otherwise).
    pub fn effect(&self, fund: &Fund, claimant: Option<&Claimant>) -> Result<ChangeEffect> {
        Ok(match self {
            ConfigChange::AddAsset { .. } | ConfigChange::RegisterClaimant { .. } => {
                ChangeEffect::Loosens
            }
            ConfigChange::UpdateAsset { mint, params } => {
                let index = fund.asset_index(mint)?;
                let old = fund.assets[index].params()?;
                ChangeEffect::loosens_if(
                    OracleConfig::from(params.oracle) != fund.assets[index].oracle
                        || fund.assets[index]
                            .fallback
                            .loosens_to(&FallbackConfig::from(params.fallback))
                        || params.max_weight_bps > old.max_weight_bps
                        || params.haircut_bps < old.haircut_bps
                        || (params.class as u8) < (old.class as u8)
                        || params.flags & !old.flags != 0,
                )
            }
            ConfigChange::SetBounds { bounds } => ChangeEffect::loosens_if(
                bounds.min_liquid_bps < fund.min_liquid_bps
                    || bounds.max_price_age_secs > fund.max_price_age_secs
                    || bounds.max_pause_secs > fund.max_pause_secs
                    || bounds.timelock_secs < fund.timelock_secs,
            ),
            ConfigChange::SetRebalanceParams { params } => {
                let (old, new) = (&fund.rebalance, &RebalanceConfig::from(*params));
                ChangeEffect::loosens_if(
                    new.band_bps < old.band_bps
                        || new.start_premium_bps > old.start_premium_bps
                        || new.max_premium_bps > old.max_premium_bps
                        || new.auction_duration_secs < old.auction_duration_secs
                        || new.window_secs < old.window_secs
                        || new.max_volume_per_window > old.max_volume_per_window
                        || new.premium_budget_per_window > old.premium_budget_per_window
                        || new.min_trade_value < old.min_trade_value
                        || new.max_discount_bps > old.max_discount_bps
                        || crisis_loosens(&old.crisis, &new.crisis),
                )
            }
            ConfigChange::SetDrawParams { params: new } => {
                let old = &fund.draws;
                ChangeEffect::loosens_if(
                    new.approval_threshold > old.approval_threshold
                        || new.fund_cap_bps > old.fund_cap_bps
                        || new.window_secs < old.window_secs,
                )
            }
            ConfigChange::SetGuardian { guardian } => {
                ChangeEffect::loosens_if(guardian.is_some_and(|g| g != fund.guardian))
            }
            ConfigChange::UpdateClaimant {
                payout_owner,
                caps,
                enabled,
                ..
            } => {
                let old = claimant.ok_or_else(|| error!(FundError::PendingChangeMismatch))?;
                ChangeEffect::loosens_if(
                    *payout_owner != old.payout_owner
                        || caps.max_per_shortfall > old.caps.max_per_shortfall
                        || caps.max_per_window > old.caps.max_per_window
                        || caps.lifetime_max > old.caps.lifetime_max
                        || (*enabled && !old.enabled),
                )
            }
        })
    }

    /// The configuration stamp of what the change writes (`Fund::config_seq`): the asset,
    /// claimant, bounds, rebalance or draw parameters, or guardian. `None` for a change that
    /// creates its target (`AddAsset`, `RegisterClaimant`): nothing to have changed since.
    /// `claimant` is the current record for `UpdateClaimant`.
    pub fn target_seq(&self, fund: &Fund, claimant: Option<&Claimant>) -> Result<Option<u64>> {
        Ok(match self {
            ConfigChange::AddAsset { .. } | ConfigChange::RegisterClaimant { .. } => None,
            ConfigChange::UpdateAsset { mint, .. } => {
                Some(fund.assets[fund.asset_index(mint)?].config_seq)
            }
            ConfigChange::SetBounds { .. } => Some(fund.bounds_seq),
            ConfigChange::SetRebalanceParams { .. } => Some(fund.rebalance_seq),
            ConfigChange::SetDrawParams { .. } => Some(fund.draws_seq),
            ConfigChange::SetGuardian { .. } => Some(fund.guardian_seq),
            ConfigChange::UpdateClaimant { .. } => Some(
                claimant
                    .ok_or_else(|| error!(FundError::PendingChangeMismatch))?
                    .config_seq,
            ),
        })
    }

    /// Writes the change into `fund` (and `record`) as its instruction does, with the
    /// instruction's checks (the methods of `state::config`, which the handlers call), then
    /// validates the result (`Fund::invariant`). Off-chain, for `ifund propose`: the handlers
    /// call the methods themselves, around their accounts. `AddAsset` first checks the mint
    /// can be added (`Fund::check_can_add`). After an error `fund` may be partly written, as
    /// in the failed transaction the program would roll back: apply to a copy.
    pub fn apply(&self, fund: &mut Fund, fund_key: Pubkey, record: ChangeRecord) -> Result<()> {
        match (self, record) {
            (ConfigChange::AddAsset { mint, params }, ChangeRecord::NewAsset(asset)) => {
                require_keys_eq!(asset.mint, *mint, FundError::PendingChangeMismatch);
                fund.check_can_add(mint)?;
                fund.push_asset(*asset, params)?;
            }
            (ConfigChange::UpdateAsset { mint, params }, _) => {
                fund.update_asset(mint, params)?;
            }
            (ConfigChange::SetBounds { bounds }, _) => {
                fund.set_bounds(bounds)?;
            }
            (ConfigChange::SetRebalanceParams { params }, _) => {
                fund.set_rebalance_params(params)?;
            }
            (ConfigChange::SetDrawParams { params }, _) => {
                fund.set_draw_params(params)?;
            }
            (ConfigChange::SetGuardian { guardian }, _) => {
                fund.set_guardian(*guardian)?;
            }
            (
                ConfigChange::RegisterClaimant {
                    authority,
                    payout_owner,
                    caps,
                },
                ChangeRecord::Claimant { slot, bump },
            ) => {
                if slot.is_some() {
                    return Err(ProgramError::AccountAlreadyInitialized.into());
                }
                let seq = fund.next_config_seq()?;
                *slot = Some(Claimant::register(
                    fund_key,
                    *authority,
                    *payout_owner,
                    *caps,
                    seq,
                    bump,
                )?);
            }
            (
                ConfigChange::UpdateClaimant {
                    payout_owner,
                    caps,
                    enabled,
                    ..
                },
                ChangeRecord::Claimant {
                    slot: Some(claimant),
                    ..
                },
            ) => {
                let seq = fund.next_config_seq()?;
                claimant.update(*payout_owner, *caps, *enabled, seq)?;
            }
            // the record the change writes is missing
            (
                ConfigChange::AddAsset { .. }
                | ConfigChange::RegisterClaimant { .. }
                | ConfigChange::UpdateClaimant { .. },
                _,
            ) => return err!(anchor_lang::error::ErrorCode::AccountNotInitialized),
        }
        fund.invariant()
    }

    /// Checks that need no fund state, run when the change is queued so a malformed change
    /// fails now rather than after the delay. Execution validates the whole configuration.
    pub fn validate_shape(&self) -> Result<()> {
        match self {
            ConfigChange::SetRebalanceParams { params } => {
                let params = RebalanceConfig::from(*params);
                require!(params.is_configured(), FundError::InvalidRebalanceBand);
                params.validate()
            }
            ConfigChange::SetDrawParams { params } => {
                require!(params.fund_cap_bps > 0, FundError::InvalidDrawCap);
                DrawConfig::from(*params).validate()
            }
            ConfigChange::RegisterClaimant { caps, .. }
            | ConfigChange::UpdateClaimant { caps, .. } => caps.validate(),
            ConfigChange::SetBounds { bounds } => {
                require!(
                    bounds.timelock_secs <= crate::constants::MAX_TIMELOCK_SECS,
                    FundError::InvalidTimelock
                );
                Ok(())
            }
            ConfigChange::AddAsset { .. }
            | ConfigChange::UpdateAsset { .. }
            | ConfigChange::SetGuardian { .. } => Ok(()),
        }
    }
}

/// The record a change writes besides the fund (`ConfigChange::apply`).
pub enum ChangeRecord<'a> {
    /// None: the change writes only the fund.
    Fund,
    /// `AddAsset`: the new asset as its accounts describe it (mint, vault, decimals, token
    /// program, vault bump).
    NewAsset(Box<Asset>),
    /// `RegisterClaimant` (an empty slot, filled with the new record) or `UpdateClaimant`
    /// (the current record); `bump` is the new record's.
    Claimant {
        slot: &'a mut Option<Claimant>,
        bump: u8,
    },
}

/// `ChangeAuthority` from an instruction's `authority`, `pending_change` and `rent_recipient`.
macro_rules! change_authority {
    ($accounts:expr) => {
        $crate::timelock::ChangeAuthority {
            signer: &$accounts.authority,
            pending_change: &$accounts.pending_change,
            rent_recipient: &$accounts.rent_recipient,
        }
    };
}
pub(crate) use change_authority;

/// The accounts a timelock-aware instruction carries besides its own.
pub struct ChangeAuthority<'a, 'info> {
    /// Governance (direct path) or anyone (executing a matured queued change).
    pub signer: &'a Signer<'info>,
    pub pending_change: &'a Option<UncheckedAccount<'info>>,
    pub rent_recipient: &'a Option<UncheckedAccount<'info>>,
}

/// The timelock's single enforcement point; every loosening-capable instruction calls it
/// before changing anything.
///
/// - Without a queued change: the signer must be governance (`NotGovernance`), and a change
///   whose `effect` loosens needs a zero timelock (`TimelockRequired`).
/// - With a queued change (anyone may sign): it must be a live `PendingChange` of this program
///   (`AccountNotInitialized` once closed, `AccountOwnedByWrongProgram`,
///   `AccountDiscriminatorMismatch`), this fund's, describing exactly this change
///   (`PendingChangeMismatch`), be queued under the current governance
///   (`PendingChangeStale`), its target unchanged since it was queued (no later
///   configuration stamp: `PendingChangeSuperseded`), have reached
///   `max(eta, queued_at + the timelock in force now)` (`TimelockNotElapsed`) and not be
///   more than `QUEUED_CHANGE_GRACE_SECS` past it (`PendingChangeExpired`); the rent
///   recipient must be its payer (`RentRecipientMismatch`). `Authorized::consume` then
///   closes the record, so it executes once, and emits `ChangeExecuted`.
///
/// Why a queued change is void once its target changed (rather than re-validated): a queued
/// change carries the whole new value of its target, reviewed against the value it replaces.
/// Governance disabling a compromised claimant at once, or raising the timelock, must not be
/// undone by an older queued change that re-enables it or lowers the delay again; and a later
/// direct or queued change of the same target would be silently overwritten. The caller
/// stamps the target after writing it (`Fund::next_config_seq`).
///
/// The caller consumes the authorization before it returns: at once, or, in an instruction
/// that creates an account, after the creating CPIs (the record's rent moves to its payer,
/// who may be the payer of the new account; the runtime refuses a CPI made after the caller
/// moved lamports between accounts the CPI does not see).
#[inline(never)]
pub fn authorize_change<'a, 'info>(
    fund: &Fund,
    fund_key: Pubkey,
    accounts: ChangeAuthority<'a, 'info>,
    change: &ConfigChange,
    // the current record, for `UpdateClaimant` (None otherwise)
    claimant: Option<&Claimant>,
) -> Result<Authorized<'info>> {
    let Some(pending) = accounts.pending_change else {
        require_keys_eq!(
            accounts.signer.key(),
            fund.governance,
            FundError::NotGovernance
        );
        require!(
            fund.timelock_secs == 0 || change.effect(fund, claimant)? == ChangeEffect::Tightens,
            FundError::TimelockRequired
        );
        return Ok(Authorized { queued: None });
    };
    // decoded here rather than by each instruction's accounts struct: one copy of the
    // (sizeable) `ConfigChange` decoder in the binary instead of eight
    let info = pending.to_account_info();
    // the fund itself (already borrowed by the caller) is no queued change
    require_keys_neq!(info.key(), fund_key, FundError::PendingChangeMismatch);
    // as Anchor reports it for an `Account`: a closed (executed, cancelled) record is gone
    if *info.owner == anchor_lang::system_program::ID && info.data_is_empty() {
        return err!(anchor_lang::error::ErrorCode::AccountNotInitialized);
    }
    require_keys_eq!(
        *info.owner,
        crate::ID,
        anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram
    );
    let record = PendingChange::try_deserialize(&mut &info.try_borrow_data()?[..])?;
    let pending = &record;
    require!(
        pending.fund == fund_key && pending.change == *change,
        FundError::PendingChangeMismatch
    );
    require!(
        pending.governance_epoch == fund.governance_epoch,
        FundError::PendingChangeStale
    );
    require!(
        change
            .target_seq(fund, claimant)?
            .is_none_or(|seq| seq <= pending.queued_seq),
        FundError::PendingChangeSuperseded
    );
    let now = Clock::get()?.unix_timestamp;
    require!(
        now >= pending.ready_at(fund.timelock_secs),
        FundError::TimelockNotElapsed
    );
    require!(
        !pending.is_expired(fund.timelock_secs, now),
        FundError::PendingChangeExpired
    );
    let recipient = accounts
        .rent_recipient
        .as_ref()
        .ok_or_else(|| error!(FundError::RentRecipientMismatch))?;
    require_keys_eq!(
        recipient.key(),
        pending.payer,
        FundError::RentRecipientMismatch
    );
    Ok(Authorized {
        queued: Some(QueuedExecution {
            fund: fund_key,
            record: info,
            recipient: recipient.to_account_info(),
            executor: accounts.signer.key(),
        }),
    })
}

/// A change `authorize_change` allowed; `consume` closes its queued record, if any.
#[must_use = "consume the authorization: a queued change must be closed so it executes once"]
pub struct Authorized<'info> {
    queued: Option<QueuedExecution<'info>>,
}

struct QueuedExecution<'info> {
    fund: Pubkey,
    record: AccountInfo<'info>,
    recipient: AccountInfo<'info>,
    executor: Pubkey,
}

impl Authorized<'_> {
    /// Closes the executed change's record (rent to its payer) and emits `ChangeExecuted`;
    /// nothing for governance's direct path.
    pub fn consume(self) -> Result<()> {
        let Some(q) = self.queued else {
            return Ok(());
        };
        emit!(ChangeExecuted {
            fund: q.fund,
            pending_change: q.record.key(),
            executor: q.executor,
        });
        close_record(&q.record, &q.recipient)
    }
}

/// Closes a program-owned record: its lamports to `recipient`, its data and owner handed back
/// to the system program, so it can never be read again (nor revived with stale contents).
fn close_record<'info>(record: &AccountInfo<'info>, recipient: &AccountInfo<'info>) -> Result<()> {
    let lamports = record.lamports();
    **recipient.try_borrow_mut_lamports()? = recipient
        .lamports()
        .checked_add(lamports)
        .ok_or_else(|| error!(FundError::MathOverflow))?;
    **record.try_borrow_mut_lamports()? = 0;
    record.assign(&anchor_lang::system_program::ID);
    record.resize(0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LiquidityClass, OracleParams, OracleSource};

    fn params() -> AssetParams {
        AssetParams {
            max_weight_bps: u16::MAX,
            haircut_bps: u16::MAX,
            class: LiquidityClass::Illiquid,
            oracle: OracleParams {
                source: OracleSource::PythPull,
                feed_id: [255; 32],
                max_age_secs: u32::MAX,
                max_conf_bps: u16::MAX,
                fixed_price: u64::MAX,
                fixed_expo: i32::MIN,
                peg_band_bps: u16::MAX,
            },
            flags: u8::MAX,
            fallback: Some(crate::state::FallbackParams {
                feed: Pubkey::new_from_array([255; 32]),
                max_age_secs: u32::MAX,
                max_conf_bps: u16::MAX,
                max_divergence_bps: u16::MAX,
            }),
        }
    }

    fn empty_fund() -> Box<Fund> {
        let mut f: Box<Fund> = Box::new(bytemuck::Zeroable::zeroed());
        f.governance = Pubkey::new_unique();
        f.max_price_age_secs = 60;
        f.max_pause_secs = 86_400;
        f
    }

    fn code<T: core::fmt::Debug>(r: Result<T>) -> String {
        match r.unwrap_err() {
            anchor_lang::error::Error::AnchorError(e) => e.error_name,
            anchor_lang::error::Error::ProgramError(e) => e.program_error.to_string(),
        }
    }

    #[test]
    fn apply_writes_what_the_instruction_writes_and_stamps_it() {
        let mut f = empty_fund();
        let key = Pubkey::new_unique();
        let bounds = BoundsArgs {
            min_liquid_bps: 0,
            max_price_age_secs: 120,
            max_pause_secs: 7_200,
            timelock_secs: 60,
        };
        ConfigChange::SetBounds { bounds }
            .apply(&mut f, key, ChangeRecord::Fund)
            .unwrap();
        assert_eq!((f.bounds(), f.bounds_seq, f.config_seq), (bounds, 1, 1));
        ConfigChange::SetGuardian { guardian: None }
            .apply(&mut f, key, ChangeRecord::Fund)
            .unwrap();
        assert_eq!((f.guardian, f.guardian_seq), (Pubkey::default(), 2));
        // a whole configuration the program would refuse is refused (`Fund::invariant`)
        let bad = BoundsArgs {
            max_price_age_secs: 0,
            ..bounds
        };
        assert_eq!(
            code(ConfigChange::SetBounds { bounds: bad }.apply(&mut f, key, ChangeRecord::Fund)),
            "InvalidMaxPriceAge"
        );
        // the instruction's own checks, in its order
        assert_eq!(
            code(
                ConfigChange::SetGuardian {
                    guardian: Some(Pubkey::default())
                }
                .apply(&mut f, key, ChangeRecord::Fund)
            ),
            "InvalidGovernance"
        );
        assert_eq!(
            code(
                ConfigChange::SetDrawParams {
                    params: DrawParams::default()
                }
                .apply(&mut f, key, ChangeRecord::Fund)
            ),
            "InvalidDrawCap"
        );
        assert_eq!(
            code(
                ConfigChange::UpdateAsset {
                    mint: key,
                    params: params()
                }
                .apply(&mut f, key, ChangeRecord::Fund)
            ),
            "UnknownAsset"
        );
    }

    #[test]
    fn apply_creates_and_updates_claimants_in_their_slot() {
        let mut f = empty_fund();
        let fund_key = Pubkey::new_unique();
        let (authority, payout) = (Pubkey::new_unique(), Pubkey::new_unique());
        let caps = ClaimantCaps {
            max_per_shortfall: 10,
            max_per_window: 10,
            lifetime_max: 100,
        };
        let register = ConfigChange::RegisterClaimant {
            authority,
            payout_owner: payout,
            caps,
        };
        let mut slot = None;
        register
            .apply(
                &mut f,
                fund_key,
                ChangeRecord::Claimant {
                    slot: &mut slot,
                    bump: 7,
                },
            )
            .unwrap();
        let c = slot.clone().unwrap();
        assert_eq!(
            (
                c.fund,
                c.authority,
                c.payout_owner,
                c.enabled,
                c.config_seq,
                c.bump
            ),
            (fund_key, authority, payout, true, 1, 7)
        );
        // registering twice, or updating no record: refused
        assert_eq!(
            code(register.apply(
                &mut f,
                fund_key,
                ChangeRecord::Claimant {
                    slot: &mut slot,
                    bump: 7
                }
            )),
            ProgramError::AccountAlreadyInitialized.to_string()
        );
        let update = ConfigChange::UpdateClaimant {
            authority,
            payout_owner: payout,
            caps: ClaimantCaps {
                lifetime_max: 50,
                ..caps
            },
            enabled: false,
        };
        assert_eq!(
            code(update.apply(&mut f, fund_key, ChangeRecord::Fund)),
            "AccountNotInitialized"
        );
        update
            .apply(
                &mut f,
                fund_key,
                ChangeRecord::Claimant {
                    slot: &mut slot,
                    bump: 0,
                },
            )
            .unwrap();
        let c = slot.clone().unwrap();
        assert_eq!(
            (c.caps.lifetime_max, c.enabled, c.config_seq),
            (50, false, 2)
        );
        // the payout owner may not be the fund (`Claimant::check_keys`)
        let to_fund = ConfigChange::UpdateClaimant {
            authority,
            payout_owner: fund_key,
            caps,
            enabled: true,
        };
        assert_eq!(
            code(to_fund.apply(
                &mut f,
                fund_key,
                ChangeRecord::Claimant {
                    slot: &mut slot,
                    bump: 0
                }
            )),
            "InvalidPayoutOwner"
        );
    }

    /// The arguments carry no padding: the stored forms get zeros, and every field survives
    /// the round trip.
    #[test]
    fn parameter_arguments_have_no_padding() {
        let draws = DrawParams {
            approval_threshold: 1,
            fund_cap_bps: 2,
            window_secs: 3,
        };
        assert_eq!(borsh::to_vec(&draws).unwrap().len(), 8 + 2 + 4);
        let stored = DrawConfig::from(draws);
        assert_eq!((stored._pad, DrawParams::from(stored)), ([0; 2], draws));
        let rebalance = RebalanceParams {
            band_bps: 1,
            start_premium_bps: 2,
            max_premium_bps: 3,
            max_discount_bps: 4,
            auction_duration_secs: 5,
            window_secs: 6,
            max_volume_per_window: 7,
            premium_budget_per_window: 8,
            min_trade_value: 9,
            crisis: crate::state::CrisisParams {
                max_volume_per_window: 10,
                premium_budget_per_window: 11,
                auction_duration_secs: 12,
                max_premium_bps: 13,
                max_discount_bps: 14,
                gap_trigger_bps: 15,
                liquid_target_bps: 16,
                hold_secs: 17,
            },
        };
        assert_eq!(
            borsh::to_vec(&rebalance).unwrap().len(),
            4 * 2 + 2 * 4 + 3 * 8 + (2 * 8 + 4 + 4 * 2 + 4)
        );
        let stored = RebalanceConfig::from(rebalance);
        assert_eq!(RebalanceParams::from(stored), rebalance);
    }

    #[test]
    fn max_size_covers_every_variant() {
        let key = Pubkey::new_unique();
        let caps = ClaimantCaps {
            max_per_shortfall: u64::MAX,
            max_per_window: u64::MAX,
            lifetime_max: u64::MAX,
        };
        let all = [
            ConfigChange::AddAsset {
                mint: key,
                params: params(),
            },
            ConfigChange::UpdateAsset {
                mint: key,
                params: params(),
            },
            ConfigChange::SetBounds {
                bounds: BoundsArgs {
                    min_liquid_bps: 1,
                    max_price_age_secs: 1,
                    max_pause_secs: 1,
                    timelock_secs: 1,
                },
            },
            ConfigChange::SetRebalanceParams {
                params: RebalanceParams::default(),
            },
            ConfigChange::SetDrawParams {
                params: DrawParams::default(),
            },
            ConfigChange::SetGuardian {
                guardian: Some(key),
            },
            ConfigChange::RegisterClaimant {
                authority: key,
                payout_owner: key,
                caps,
            },
            ConfigChange::UpdateClaimant {
                authority: key,
                payout_owner: key,
                caps,
                enabled: true,
            },
        ];
        let largest = all.iter().map(|c| borsh::to_vec(c).unwrap().len()).max();
        assert_eq!(largest, Some(ConfigChange::MAX_SIZE));
    }

    #[test]
    fn hash_is_sha256_of_the_borsh_encoding() {
        let change = ConfigChange::SetGuardian { guardian: None };
        // borsh: variant tag 5, then Option::None (0)
        assert_eq!(borsh::to_vec(&change).unwrap(), vec![5, 0]);
        // sha256([5, 0]), computed independently (Python's hashlib)
        let expected = [
            41, 33, 161, 31, 37, 218, 218, 162, 74, 167, 154, 84, 142, 78, 129, 80, 140, 46, 94,
            86, 175, 45, 131, 61, 101, 226, 188, 206, 68, 140, 226, 245,
        ];
        assert_eq!(change.hash().unwrap(), expected);
        assert_ne!(
            change.hash().unwrap(),
            ConfigChange::SetGuardian {
                guardian: Some(Pubkey::default())
            }
            .hash()
            .unwrap()
        );
    }
}
