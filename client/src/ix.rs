//! One builder per program instruction, as plain functions over addresses.
//!
//! Accounts come from the Anchor-generated `insurance_fund::accounts::*` structs and data
//! from `insurance_fund::instruction::*`, so a builder cannot drift from the program's
//! account order. Addresses the program derives (fund, vault, claimant, shortfall) are
//! derived here with [`crate::pda`].

use crate::pda::{
    claimant_address, fund_address, pending_change_address, shortfall_address, vault_address,
};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas};
use insurance_fund::instructions::InitializeFundArgs;
use insurance_fund::state::BoundsArgs;
use insurance_fund::state::{
    Asset, AssetParams, ClaimantCaps, DrawParams, RebalanceParams, TokenProgramKind,
};
use insurance_fund::timelock::ConfigChange;
use insurance_fund::{accounts as acc, instruction as ixd};

/// The SPL Associated Token Account program.
pub const ASSOCIATED_TOKEN_PROGRAM_ID: Pubkey =
    anchor_lang::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

fn fund_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: insurance_fund::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// A registered asset's addresses, as the fund stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetKeys {
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub token_program: Pubkey,
}

impl AssetKeys {
    /// The keys of a registered asset read from the fund account.
    pub fn of(asset: &Asset) -> Self {
        Self {
            mint: asset.mint,
            vault: asset.vault,
            token_program: asset.token_program_id(),
        }
    }

    /// The keys of a mint about to be added to `fund` under `token_program`.
    pub fn new(fund: &Pubkey, mint: &Pubkey, token_program: TokenProgramKind) -> Self {
        Self {
            mint: *mint,
            vault: vault_address(fund, mint),
            token_program: token_program.program_id(),
        }
    }
}

// ---- governance ---------------------------------------------------------------------------
//
// The timelock-aware builders (`add_asset`, `update_asset`, `set_bounds`,
// `set_rebalance_params`, `set_draw_params`, `set_guardian`, `register_claimant`,
// `update_claimant`) build the direct form, signed by governance; [`with_pending_change`]
// turns one into the execution of a matured queued change, signed by anyone.

/// `initialize_fund`: the fund lands at `["fund", create_key]`; `create_key` and `payer` sign.
pub fn initialize_fund(
    payer: &Pubkey,
    create_key: &Pubkey,
    args: InitializeFundArgs,
) -> Instruction {
    fund_ix(
        acc::InitializeFund {
            payer: *payer,
            create_key: *create_key,
            fund: fund_address(create_key),
            system_program: anchor_lang::system_program::ID,
        },
        ixd::InitializeFund { args },
    )
}

/// `add_asset` of `mint` (owned by `token_program`); `payer` pays the vault's rent.
pub fn add_asset(
    fund: &Pubkey,
    governance: &Pubkey,
    payer: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
    params: AssetParams,
) -> Instruction {
    fund_ix(
        acc::AddAsset {
            authority: *governance,
            fund: *fund,
            mint: *mint,
            vault: vault_address(fund, mint),
            payer: *payer,
            token_program: *token_program,
            system_program: anchor_lang::system_program::ID,
            pending_change: None,
            rent_recipient: None,
        },
        ixd::AddAsset { params },
    )
}

pub fn update_asset(
    fund: &Pubkey,
    governance: &Pubkey,
    mint: &Pubkey,
    params: AssetParams,
) -> Instruction {
    fund_ix(
        acc::UpdateAsset {
            authority: *governance,
            fund: *fund,
            pending_change: None,
            rent_recipient: None,
        },
        ixd::UpdateAsset {
            mint: *mint,
            params,
        },
    )
}

/// `retire_asset`: governance retires `mint` at once (its target must already be 0).
pub fn retire_asset(fund: &Pubkey, governance: &Pubkey, mint: Pubkey) -> Instruction {
    fund_ix(
        acc::RetireAsset {
            governance: *governance,
            fund: *fund,
        },
        ixd::RetireAsset { mint },
    )
}

/// `remove_asset`: governance removes an empty asset with target 0, closing its `vault`
/// (under `token_program`) and sending the rent to `rent_recipient`.
pub fn remove_asset(
    fund: &Pubkey,
    governance: &Pubkey,
    mint: Pubkey,
    vault: Pubkey,
    token_program: Pubkey,
    rent_recipient: Pubkey,
) -> Instruction {
    fund_ix(
        acc::RemoveAsset {
            governance: *governance,
            fund: *fund,
            vault,
            rent_recipient,
            token_program,
        },
        ixd::RemoveAsset { mint },
    )
}

pub fn set_targets(fund: &Pubkey, governance: &Pubkey, targets: Vec<u16>) -> Instruction {
    fund_ix(
        acc::SetTargets {
            governance: *governance,
            fund: *fund,
        },
        ixd::SetTargets { targets },
    )
}

pub fn set_bounds(fund: &Pubkey, governance: &Pubkey, args: BoundsArgs) -> Instruction {
    fund_ix(
        acc::SetBounds {
            authority: *governance,
            fund: *fund,
            pending_change: None,
            rent_recipient: None,
        },
        ixd::SetBounds { args },
    )
}

pub fn set_rebalance_params(
    fund: &Pubkey,
    governance: &Pubkey,
    params: impl Into<RebalanceParams>,
) -> Instruction {
    fund_ix(
        acc::SetRebalanceParams {
            authority: *governance,
            fund: *fund,
            pending_change: None,
            rent_recipient: None,
        },
        ixd::SetRebalanceParams {
            params: params.into(),
        },
    )
}

pub fn set_draw_params(
    fund: &Pubkey,
    governance: &Pubkey,
    params: impl Into<DrawParams>,
) -> Instruction {
    fund_ix(
        acc::SetDrawParams {
            authority: *governance,
            fund: *fund,
            pending_change: None,
            rent_recipient: None,
        },
        ixd::SetDrawParams {
            params: params.into(),
        },
    )
}

pub fn set_guardian(fund: &Pubkey, governance: &Pubkey, guardian: Option<Pubkey>) -> Instruction {
    fund_ix(
        acc::SetGuardian {
            authority: *governance,
            fund: *fund,
            pending_change: None,
            rent_recipient: None,
        },
        ixd::SetGuardian { guardian },
    )
}

pub fn propose_governance(
    fund: &Pubkey,
    governance: &Pubkey,
    new_governance: Pubkey,
) -> Instruction {
    fund_ix(
        acc::ProposeGovernance {
            governance: *governance,
            fund: *fund,
        },
        ixd::ProposeGovernance { new_governance },
    )
}

pub fn accept_governance(fund: &Pubkey, new_governance: &Pubkey) -> Instruction {
    fund_ix(
        acc::AcceptGovernance {
            new_governance: *new_governance,
            fund: *fund,
        },
        ixd::AcceptGovernance {},
    )
}

pub fn cancel_governance_transfer(fund: &Pubkey, governance: &Pubkey) -> Instruction {
    fund_ix(
        acc::CancelGovernanceTransfer {
            governance: *governance,
            fund: *fund,
        },
        ixd::CancelGovernanceTransfer {},
    )
}

/// `register_claimant` for `authority`; `payer` pays the claimant account's rent.
pub fn register_claimant(
    fund: &Pubkey,
    governance: &Pubkey,
    payer: &Pubkey,
    authority: Pubkey,
    payout_owner: Pubkey,
    caps: ClaimantCaps,
) -> Instruction {
    fund_ix(
        acc::RegisterClaimant {
            authority: *governance,
            fund: *fund,
            claimant: claimant_address(fund, &authority),
            payer: *payer,
            system_program: anchor_lang::system_program::ID,
            pending_change: None,
            rent_recipient: None,
        },
        ixd::RegisterClaimant {
            claimant_authority: authority,
            payout_owner,
            caps,
        },
    )
}

pub fn update_claimant(
    fund: &Pubkey,
    governance: &Pubkey,
    claimant_authority: &Pubkey,
    payout_owner: Pubkey,
    caps: ClaimantCaps,
    enabled: bool,
) -> Instruction {
    fund_ix(
        acc::UpdateClaimant {
            authority: *governance,
            fund: *fund,
            claimant: claimant_address(fund, claimant_authority),
            pending_change: None,
            rent_recipient: None,
        },
        ixd::UpdateClaimant {
            payout_owner,
            caps,
            enabled,
        },
    )
}

pub fn remove_claimant(
    fund: &Pubkey,
    governance: &Pubkey,
    claimant_authority: &Pubkey,
    rent_receiver: Pubkey,
) -> Instruction {
    fund_ix(
        acc::RemoveClaimant {
            governance: *governance,
            fund: *fund,
            claimant: claimant_address(fund, claimant_authority),
            rent_receiver,
        },
        ixd::RemoveClaimant {},
    )
}

pub fn unpause(fund: &Pubkey, governance: &Pubkey, flags: u8) -> Instruction {
    fund_ix(
        acc::Unpause {
            governance: *governance,
            fund: *fund,
        },
        ixd::Unpause { flags },
    )
}

// ---- guardian -----------------------------------------------------------------------------

pub fn pause(fund: &Pubkey, authority: &Pubkey, flags: u8) -> Instruction {
    fund_ix(
        acc::Pause {
            authority: *authority,
            fund: *fund,
        },
        ixd::Pause { flags },
    )
}

// ---- anyone: deposits and keepers ---------------------------------------------------------

/// `deposit_fees` of `amount` atoms of `asset` from `source` (owned or delegated to
/// `depositor`).
pub fn deposit_fees(
    fund: &Pubkey,
    depositor: &Pubkey,
    asset: &AssetKeys,
    source: &Pubkey,
    amount: u64,
) -> Instruction {
    fund_ix(
        acc::DepositFees {
            depositor: *depositor,
            fund: *fund,
            mint: asset.mint,
            vault: asset.vault,
            source: *source,
            token_program: asset.token_program,
        },
        ixd::DepositFees { amount },
    )
}

/// `refresh_prices` of the assets in `mask` with its remaining accounts (build them with
/// [`crate::remaining::refresh_prices_accounts`]).
pub fn refresh_prices(fund: &Pubkey, mask: u16, remaining: Vec<AccountMeta>) -> Instruction {
    let mut ix = fund_ix(
        acc::RefreshPrices { fund: *fund },
        ixd::RefreshPrices { assets: mask },
    );
    ix.accounts.extend(remaining);
    ix
}

pub fn get_nav(fund: &Pubkey) -> Instruction {
    fund_ix(acc::GetNav { fund: *fund }, ixd::GetNav {})
}

pub fn sync_auctions(fund: &Pubkey) -> Instruction {
    fund_ix(acc::SyncAuctions { fund: *fund }, ixd::SyncAuctions {})
}

/// A keeper fill: `keeper` delivers `amount_in` of `asset_in` from `keeper_in` and receives
/// at least `min_amount_out` of `asset_out` into `keeper_out`.
#[allow(clippy::too_many_arguments)]
pub fn rebalance(
    fund: &Pubkey,
    keeper: &Pubkey,
    asset_in: &AssetKeys,
    keeper_in: &Pubkey,
    asset_out: &AssetKeys,
    keeper_out: &Pubkey,
    amount_in: u64,
    min_amount_out: u64,
) -> Instruction {
    fund_ix(
        acc::Rebalance {
            keeper: *keeper,
            fund: *fund,
            mint_in: asset_in.mint,
            vault_in: asset_in.vault,
            keeper_in: *keeper_in,
            mint_out: asset_out.mint,
            vault_out: asset_out.vault,
            keeper_out: *keeper_out,
            token_program_in: asset_in.token_program,
            token_program_out: asset_out.token_program,
        },
        ixd::Rebalance {
            amount_in,
            min_amount_out,
        },
    )
}

/// The two halves of a flash fill, to be sent in one transaction around the keeper's route:
/// `rebalance_begin` lends `amount_out` of `asset_out` into `keeper_out`; the keeper then
/// delivers `asset_in` into its vault by any means; `rebalance_end` checks and books it.
pub fn rebalance_begin(
    fund: &Pubkey,
    keeper: &Pubkey,
    asset_in: &AssetKeys,
    asset_out: &AssetKeys,
    keeper_out: &Pubkey,
    amount_out: u64,
) -> Instruction {
    fund_ix(
        acc::RebalanceBegin {
            keeper: *keeper,
            fund: *fund,
            mint_in: asset_in.mint,
            vault_in: asset_in.vault,
            mint_out: asset_out.mint,
            vault_out: asset_out.vault,
            keeper_out: *keeper_out,
            token_program_out: asset_out.token_program,
            instructions: insurance_fund::instructions_sysvar::ID,
        },
        ixd::RebalanceBegin { amount_out },
    )
}

/// See `rebalance_begin`.
pub fn rebalance_end(
    fund: &Pubkey,
    keeper: &Pubkey,
    asset_in: &AssetKeys,
    asset_out: &AssetKeys,
) -> Instruction {
    fund_ix(
        acc::RebalanceEnd {
            keeper: *keeper,
            fund: *fund,
            vault_in: asset_in.vault,
            vault_out: asset_out.vault,
        },
        ixd::RebalanceEnd {},
    )
}

// ---- shortfalls ---------------------------------------------------------------------------

/// `declare_shortfall` with id `id` (the fund's `draw_state.shortfall_count`) by `declarer`
/// (the claimant's authority or governance) for the claimant of `claimant_authority`.
pub fn declare_shortfall(
    fund: &Pubkey,
    declarer: &Pubkey,
    payer: &Pubkey,
    claimant_authority: &Pubkey,
    id: u64,
    amount: u64,
    reference: [u8; 32],
) -> Instruction {
    fund_ix(
        acc::DeclareShortfall {
            declarer: *declarer,
            payer: *payer,
            fund: *fund,
            claimant: claimant_address(fund, claimant_authority),
            shortfall: shortfall_address(fund, id),
            system_program: anchor_lang::system_program::ID,
        },
        ixd::DeclareShortfall {
            id,
            amount,
            reference,
        },
    )
}

pub fn approve_shortfall(fund: &Pubkey, governance: &Pubkey, id: u64) -> Instruction {
    fund_ix(
        acc::ApproveShortfall {
            governance: *governance,
            fund: *fund,
            shortfall: shortfall_address(fund, id),
        },
        ixd::ApproveShortfall {},
    )
}

pub fn cancel_shortfall(
    fund: &Pubkey,
    authority: &Pubkey,
    claimant_authority: &Pubkey,
    id: u64,
) -> Instruction {
    fund_ix(
        acc::CancelShortfall {
            authority: *authority,
            fund: *fund,
            claimant: claimant_address(fund, claimant_authority),
            shortfall: shortfall_address(fund, id),
        },
        ixd::CancelShortfall {},
    )
}

pub fn close_shortfall(fund: &Pubkey, id: u64, rent_payer: Pubkey) -> Instruction {
    fund_ix(
        acc::CloseShortfall {
            fund: *fund,
            shortfall: shortfall_address(fund, id),
            rent_payer,
        },
        ixd::CloseShortfall {},
    )
}

/// `draw` toward shortfall `id` by the claimant `authority`, with its payout groups (build
/// them with [`crate::remaining::draw_accounts`]).
pub fn draw(
    fund: &Pubkey,
    authority: &Pubkey,
    id: u64,
    max_value: u64,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let mut ix = fund_ix(
        acc::Draw {
            authority: *authority,
            fund: *fund,
            claimant: claimant_address(fund, authority),
            shortfall: shortfall_address(fund, id),
        },
        ixd::Draw { max_value },
    );
    ix.accounts.extend(remaining);
    ix
}

// ---- token helpers the app needs (not fund instructions) --------------------------------

/// The associated token program's `CreateIdempotent`: creates `owner`'s ATA for `mint` if it
/// does not exist yet.
pub fn create_associated_token_account_idempotent(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: ASSOCIATED_TOKEN_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(
                crate::pda::associated_token_address(owner, mint, token_program),
                false,
            ),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![1],
    }
}

/// SPL Token / Token-2022 `TransferChecked` (instruction 12, the same layout in both): `amount`
/// of `mint` from `source` (owned by `authority`, a signer) to `destination`.
pub fn token_transfer_checked(
    token_program: &Pubkey,
    source: &Pubkey,
    mint: &Pubkey,
    destination: &Pubkey,
    authority: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Instruction {
    let mut data = Vec::with_capacity(10);
    data.push(12);
    data.extend_from_slice(&amount.to_le_bytes());
    data.push(decimals);
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*source, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        data,
    }
}

// ---- timelock -----------------------------------------------------------------------------

/// `queue_change`: governance queues `change`; `payer` pays the record's rent (and gets it
/// back when the change executes or is cancelled).
pub fn queue_change(
    fund: &Pubkey,
    governance: &Pubkey,
    payer: &Pubkey,
    change: ConfigChange,
) -> Instruction {
    let change_hash = change.hash().expect("a ConfigChange always serializes");
    fund_ix(
        acc::QueueChange {
            governance: *governance,
            fund: *fund,
            pending_change: pending_change_address(fund, &change),
            payer: *payer,
            system_program: anchor_lang::system_program::ID,
        },
        ixd::QueueChange {
            change_hash,
            change,
        },
    )
}

/// `cancel_change`: governance (or anyone, once the record is stale) closes a queued change,
/// its rent to `rent_recipient` (the record's payer).
pub fn cancel_change(
    fund: &Pubkey,
    authority: &Pubkey,
    pending_change: Pubkey,
    rent_recipient: Pubkey,
) -> Instruction {
    fund_ix(
        acc::CancelChange {
            authority: *authority,
            fund: *fund,
            pending_change,
            rent_recipient,
        },
        ixd::CancelChange {},
    )
}

/// `ix`, a timelock-aware instruction in its direct form, made to execute the queued change at
/// `pending_change` (rent back to `rent_recipient`, the record's payer): the last two accounts
/// of every timelock-aware instruction are the record and the recipient. The authority slot
/// (account 0) may then be any signer.
pub fn with_pending_change(
    mut ix: Instruction,
    pending_change: Pubkey,
    rent_recipient: Pubkey,
) -> Instruction {
    let n = ix.accounts.len();
    ix.accounts[n - 2] = AccountMeta::new(pending_change, false);
    ix.accounts[n - 1] = AccountMeta::new(rent_recipient, false);
    ix
}
