//! # Insurance fund
//!
//! A multi-asset backstop a perps or lending protocol deploys to cover bad debt: it holds
//! governance-weighted vaults, accepts fee deposits from anyone, lets keepers rebalance it
//! within on-chain bounds, and pays out only during a declared shortfall.
//!
//! Layout: `instructions/` (one file per instruction, grouped by caller), `state/` (one file
//! per account, seeds in `state/seeds.rs`), `math/` (runtime-free arithmetic), `oracle.rs`
//! (price sources), `token_policy.rs` (which mints a vault may hold), `timelock.rs` (which
//! configuration changes wait, enforced in one function). Each handler's doc comment is its
//! specification.
#![deny(arithmetic_overflow, unused_must_use)]
// Anchor's macros expand to code these lints flag.
#![allow(unexpected_cfgs, clippy::too_many_arguments)]

#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

pub mod constants;
pub mod create;
pub mod error;
pub mod events;
pub mod instructions;
pub mod instructions_sysvar;
pub mod math;
pub mod oracle;
pub mod state;
pub mod timelock;
pub mod token_policy;

use anchor_lang::prelude::*;
use instructions::*;
use state::{AssetParams, BoundsArgs};

declare_id!("FundXHmD3oC8mQmYhLfExXWk7TTVY6cGJW3bNLqR1m9t");

#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "Insurance Fund",
    project_url: "https://github.com/insurance-fund/insurance-fund",
    contacts: "email:security@insurance-fund.example",
    policy: "https://github.com/insurance-fund/insurance-fund/blob/main/SECURITY.md",
    preferred_languages: "en",
    source_code: "https://github.com/insurance-fund/insurance-fund"
}

/// Every instruction except `refresh_prices` and `draw`, which document their remaining
/// accounts, refuses any (`ExtraRemainingAccounts`): an account nobody reads is a caller's
/// mistake or an attempt to make a reader of the future read it.
/// Every instruction but `initialize_fund` (no fund yet) and `rebalance_end` (which releases
/// it) first refuses a fund locked by a flash fill (`state::FlashFill`). One byte is read:
/// Anchor has already checked the account's owner and discriminator. (`rebalance` and
/// `rebalance_begin` read it from the fund they load first, in `fill::plan_fill`.)
fn unlocked(fund: &AccountLoader<state::Fund>) -> Result<()> {
    let data = fund.as_ref().try_borrow_data()?;
    require!(
        data.get(state::Fund::FLASH_ACTIVE_OFFSET) == Some(&0),
        error::FundError::FlashFillInProgress
    );
    Ok(())
}

fn no_remaining_accounts(accounts: &[AccountInfo]) -> Result<()> {
    require!(
        accounts.is_empty(),
        error::FundError::ExtraRemainingAccounts
    );
    Ok(())
}

#[program]
pub mod insurance_fund {
    use super::*;

    // ---- hot paths first: Anchor dispatches by comparing the instruction's discriminator
    // with each instruction's in declaration order (the IDL lists them alphabetically) ----
    pub fn deposit_fees(ctx: Context<DepositFees>, amount: u64) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::deposit_fees::deposit_fees(ctx, amount)
    }

    pub fn draw<'info>(ctx: Context<'info, Draw<'info>>, max_value: u64) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        instructions::draw::draw(ctx, max_value)
    }

    pub fn rebalance(ctx: Context<Rebalance>, amount_in: u64, min_amount_out: u64) -> Result<()> {
        // the lock is checked by the fill's first load of the fund (`fill::plan_fill`)
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::rebalance::rebalance(ctx, amount_in, min_amount_out)
    }

    pub fn rebalance_begin(ctx: Context<RebalanceBegin>, amount_out: u64) -> Result<()> {
        // the lock is checked by the fill's first load of the fund (`fill::plan_fill`)
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::rebalance_begin::rebalance_begin(ctx, amount_out)
    }

    pub fn rebalance_end(ctx: Context<RebalanceEnd>) -> Result<()> {
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::rebalance_end::rebalance_end(ctx)
    }

    pub fn refresh_prices<'info>(
        ctx: Context<'info, RefreshPrices<'info>>,
        assets: u16,
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        instructions::refresh_prices::refresh_prices(ctx, assets)
    }

    // ---- governance ---------------------------------------------------------------------
    pub fn initialize_fund(ctx: Context<InitializeFund>, args: InitializeFundArgs) -> Result<()> {
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::initialize_fund::initialize_fund(ctx, args)
    }

    pub fn add_asset(ctx: Context<AddAsset>, params: AssetParams) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::add_asset::add_asset(ctx, params)
    }

    pub fn update_asset(
        ctx: Context<UpdateAsset>,
        mint: Pubkey,
        params: AssetParams,
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::update_asset::update_asset(ctx, mint, params)
    }

    pub fn retire_asset(ctx: Context<RetireAsset>, mint: Pubkey) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::retire_asset::retire_asset(ctx, mint)
    }

    pub fn remove_asset(ctx: Context<RemoveAsset>, mint: Pubkey) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::remove_asset::remove_asset(ctx, mint)
    }

    pub fn set_targets(ctx: Context<SetTargets>, targets: Vec<u16>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::set_targets::set_targets(ctx, targets)
    }

    pub fn set_bounds(ctx: Context<SetBounds>, args: BoundsArgs) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::set_bounds::set_bounds(ctx, args)
    }

    pub fn propose_governance(
        ctx: Context<ProposeGovernance>,
        new_governance: Pubkey,
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::propose_governance::propose_governance(ctx, new_governance)
    }

    pub fn accept_governance(ctx: Context<AcceptGovernance>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::accept_governance::accept_governance(ctx)
    }

    pub fn cancel_governance_transfer(ctx: Context<CancelGovernanceTransfer>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::cancel_governance_transfer::cancel_governance_transfer(ctx)
    }

    pub fn set_guardian(ctx: Context<SetGuardian>, guardian: Option<Pubkey>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::set_guardian::set_guardian(ctx, guardian)
    }

    pub fn set_rebalance_params(
        ctx: Context<SetRebalanceParams>,
        params: state::RebalanceParams,
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::set_rebalance_params::set_rebalance_params(ctx, params)
    }

    pub fn set_draw_params(ctx: Context<SetDrawParams>, params: state::DrawParams) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::set_draw_params::set_draw_params(ctx, params)
    }

    pub fn register_claimant(
        ctx: Context<RegisterClaimant>,
        claimant_authority: Pubkey,
        payout_owner: Pubkey,
        caps: state::ClaimantCaps,
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::register_claimant::register_claimant(
            ctx,
            claimant_authority,
            payout_owner,
            caps,
        )
    }

    pub fn update_claimant(
        ctx: Context<UpdateClaimant>,
        payout_owner: Pubkey,
        caps: state::ClaimantCaps,
        enabled: bool,
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::update_claimant::update_claimant(ctx, payout_owner, caps, enabled)
    }

    pub fn remove_claimant(ctx: Context<RemoveClaimant>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::remove_claimant::remove_claimant(ctx)
    }

    pub fn approve_shortfall(ctx: Context<ApproveShortfall>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::approve_shortfall::approve_shortfall(ctx)
    }

    pub fn queue_change(
        ctx: Context<QueueChange>,
        change_hash: [u8; 32],
        change: timelock::ConfigChange,
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::queue_change::queue_change(ctx, change_hash, change)
    }

    pub fn cancel_change(ctx: Context<CancelChange>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::cancel_change::cancel_change(ctx)
    }

    pub fn unpause(ctx: Context<Unpause>, flags: u8) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::unpause::unpause(ctx, flags)
    }

    // ---- guardian -----------------------------------------------------------------------
    pub fn pause(ctx: Context<Pause>, flags: u8) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::pause::pause(ctx, flags)
    }

    // ---- claimants ----------------------------------------------------------------------
    pub fn declare_shortfall(
        ctx: Context<DeclareShortfall>,
        id: u64,
        amount: u64,
        reference: [u8; 32],
    ) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::declare_shortfall::declare_shortfall(ctx, id, amount, reference)
    }

    pub fn cancel_shortfall(ctx: Context<CancelShortfall>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::cancel_shortfall::cancel_shortfall(ctx)
    }

    // ---- anyone -------------------------------------------------------------------------
    pub fn close_shortfall(ctx: Context<CloseShortfall>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::close_shortfall::close_shortfall(ctx)
    }

    pub fn get_nav(ctx: Context<GetNav>) -> Result<NavReport> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::get_nav::get_nav(ctx)
    }

    pub fn sync_auctions(ctx: Context<SyncAuctions>) -> Result<()> {
        unlocked(&ctx.accounts.fund)?;
        no_remaining_accounts(ctx.remaining_accounts)?;
        instructions::sync_auctions::sync_auctions(ctx)
    }
}
