use crate::constants::MAX_ASSETS;
use crate::error::FundError;
use crate::events::{Payout, ShortfallClosed, ShortfallDrawn};
use crate::math::SafeMath;
use crate::state::{
    fresh_nav, seeds::SEED_FUND, Claimant, DrawRoom, Fund, Shortfall, ShortfallStatus, Waterfall,
};
use crate::token_policy::{token_account_matches, transfer_checked, TransferAccounts};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct Draw<'info> {
    /// The claimant's authority (a liquidation program's PDA through `invoke_signed`, or a
    /// keypair).
    pub authority: Signer<'info>,
    #[account(mut)]
    pub fund: AccountLoader<'info, Fund>,
    #[account(
        mut,
        has_one = fund @ FundError::ClaimantFundMismatch,
        has_one = authority @ FundError::NotClaimantAuthority,
    )]
    pub claimant: Account<'info, Claimant>,
    #[account(
        mut,
        has_one = fund @ FundError::ShortfallMismatch,
        has_one = claimant @ FundError::ShortfallMismatch,
    )]
    pub shortfall: Account<'info, Shortfall>,
}

/// Accounts per paid asset in `remaining_accounts`, in waterfall order.
pub const PAYOUT_ACCOUNTS: usize = 4;

/// What a draw reads from the fund before any token moves (one borrow of the fund).
struct DrawInputs {
    /// The draw's limit and the leaky buckets' levels it was computed from.
    room: DrawRoom,
    /// Each asset's value at its lower price after haircut, and their sum (stale prices as
    /// cached: for the auction clocks after the payout).
    values: [u128; MAX_ASSETS],
    nav: u128,
    /// Assets whose price is stale now (bit k: asset k).
    stale: u16,
    waterfall: Waterfall,
    numeraire_decimals: u8,
    /// The fund's signer seeds.
    create_key: Pubkey,
    bump: u8,
}

/// Pays toward a declared shortfall, from the vaults in waterfall order.
///
/// Remaining accounts: for each asset paid, in waterfall order (liquid, then yield-bearing,
/// then illiquid; within a class in asset order; only draw-enabled assets with a balance):
/// `[vault (writable), mint, payout token account (writable), token program]`. The caller
/// may pass fewer groups than the waterfall could use (the draw is then partial).
///
/// Specification:
/// - The claimant's authority signs (`NotClaimantAuthority`); claimant and shortfall belong
///   to this fund and to each other (`ClaimantFundMismatch`, `ShortfallMismatch`).
/// - `max_value` > 0 (`ZeroAmount`).
/// - The claimant is enabled (`ClaimantDisabled`); the shortfall is open
///   (`ShortfallNotOpen`) and approved if it needs approval (`ShortfallNotApproved`). Pauses
///   never block draws.
/// - Draws are configured (`DrawsNotConfigured`). Prices: only the assets it pays from need a
///   fresh price (`PriceStale` for a group naming a stale one); an asset whose price is stale
///   counts for 0 in the NAV the fund-wide cap is sized on, and may be skipped in the
///   waterfall, so one dead feed never blocks a payout.
/// - Pays at most the smallest of: `max_value`, what remains of the shortfall, the claimant's
///   per-shortfall cap minus what this shortfall has been paid, the claimant's window room
///   (leaky bucket) and lifetime room, and the fund-wide window room (`fund_cap_bps` of NAV,
///   leaky bucket, on `state::draw::fresh_nav`) (`Fund::draw_room`). Nothing payable is
///   `NothingToDraw`.
/// - Each group is the next asset in waterfall order (`Fund::draw_waterfall`), except that
///   assets whose balance is dust (worth less than one numeraire unit at the upper price,
///   `Asset::is_payout_dust`) or whose price is stale may be skipped
///   (`WaterfallOrderViolated` for any other skip,
///   and for a group beyond the last payable asset), with its mint and token program (`UnknownAsset`,
///   `TokenProgramMismatch`); the payout account is an initialized token account
///   (`InvalidTokenAccount`) of that mint (`PayoutMintMismatch`), owned by the claimant's
///   payout owner (`PayoutOwnerMismatch`), under the asset's token program
///   (`InvalidTokenAccount`); a group of fewer than
///   four accounts is `MissingRemainingAccounts`. The next asset is used only when the
///   previous one is exhausted; groups left over once the draw is complete are
///   `ExtraRemainingAccounts`.
/// - Converts at each asset's upper price bound and rounds against the claimant (see
///   `math::draw`); transfers with `transfer_checked`, the fund signing.
/// - Books: vault balances, the shortfall's paid amount (`Paid` when nothing remains, then
///   the open counts drop and now is recorded as the last crisis trigger,
///   `Fund::crisis_seen_at`), the claimant's lifetime and window, the fund's window and total.
/// - Clears the auction clock of every asset now back inside its band
///   (`Fund::settle_auction_clocks`), so a later episode starts at the start premium.
/// - Emits `ShortfallDrawn` (per asset paid: amount and value; total; remaining) and, when
///   fully paid, `ShortfallClosed`.
pub fn draw<'info>(ctx: Context<'info, Draw<'info>>, max_value: u64) -> Result<()> {
    require!(max_value > 0, FundError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    require!(a.claimant.enabled, FundError::ClaimantDisabled);
    require!(
        a.shortfall.status == ShortfallStatus::Open,
        FundError::ShortfallNotOpen
    );
    require!(a.shortfall.is_drawable(), FundError::ShortfallNotApproved);

    // ---- how much may be paid, and from where -------------------------------------------
    let DrawInputs {
        room,
        values,
        nav,
        stale,
        waterfall,
        numeraire_decimals,
        create_key,
        bump,
    } = {
        let fund = a.fund.load()?;
        require!(fund.draws.is_configured(), FundError::DrawsNotConfigured);
        // each asset's value, once: NAV for the fund-wide cap (stale prices count for 0), and
        // the auction clocks after (cached prices)
        let stale = fund.stale_mask(now);
        let (values, nav) = fund.asset_values()?;
        let room = fund.draw_room(
            fresh_nav(&values[..fund.asset_count as usize], stale)?,
            &a.claimant,
            &a.shortfall,
            max_value,
            now,
        )?;
        require!(room.limit > 0, FundError::NothingToDraw);
        DrawInputs {
            room,
            values,
            nav,
            stale,
            waterfall: fund.draw_waterfall(),
            numeraire_decimals: fund.numeraire_decimals,
            create_key: fund.create_key,
            bump: fund.bump,
        }
    };
    let limit = room.limit;
    let order = waterfall.as_slice();

    // ---- the waterfall -------------------------------------------------------------------
    let bump_seed = [bump];
    let seeds: &[&[u8]] = &[SEED_FUND, create_key.as_ref(), &bump_seed];
    let mut left = u128::from(limit);
    let mut payouts: Vec<Payout> = Vec::with_capacity(order.len());
    let mut groups = ctx.remaining_accounts.chunks(PAYOUT_ACCOUNTS);
    // position in the waterfall of the next asset a group may pay from
    let mut next = 0usize;
    // Debits are booked after the loop: the fund is only read while tokens move (it signs the
    // transfers, read-only), so one borrow serves every group. Each asset appears at most
    // once in the waterfall, so no step reads a balance an earlier step debited.
    let mut debits = [0u64; MAX_ASSETS];
    {
        let fund = a.fund.load()?;
        for group in groups.by_ref() {
            let [vault, mint, destination, token_program] = group else {
                return err!(FundError::MissingRemainingAccounts);
            };
            // the group's asset is the next in the waterfall, or a later one when every
            // asset skipped is dust or has a stale price
            let k = loop {
                let &k = order
                    .get(next)
                    .ok_or_else(|| error!(FundError::WaterfallOrderViolated))?;
                next += 1;
                if vault.key() == fund.assets[k].vault {
                    break k;
                }
                require!(
                    fund.draw_may_skip(k, stale)?,
                    FundError::WaterfallOrderViolated
                );
            };
            // only what is paid needs a fresh price
            require!(stale & (1 << k) == 0, FundError::PriceStale);
            let asset = &fund.assets[k];
            require_keys_eq!(mint.key(), asset.mint, FundError::UnknownAsset);
            let program = asset.token_program_id();
            require_keys_eq!(
                token_program.key(),
                program,
                FundError::TokenProgramMismatch
            );
            // the payout account is read from its fixed layout, not unpacked
            let (mint_ok, owner_ok) =
                token_account_matches(destination, &asset.mint, &a.claimant.payout_owner)?;
            require!(mint_ok, FundError::PayoutMintMismatch);
            require!(owner_ok, FundError::PayoutOwnerMismatch);
            require_keys_eq!(*destination.owner, program, FundError::InvalidTokenAccount);

            let step = asset.payout_step(left, numeraire_decimals)?;
            if step.amount > 0 {
                transfer_checked(
                    token_program.key,
                    TransferAccounts {
                        from: vault,
                        mint,
                        to: destination,
                        authority: a.fund.as_ref(),
                    },
                    step.amount,
                    asset.decimals,
                    &[seeds],
                )?;
                debits[k] = step.amount;
                payouts.push(Payout {
                    mint: asset.mint,
                    amount: step.amount,
                    value: step.credited as u64,
                });
            }
            left = step.left;
            if step.last {
                break;
            }
        }
    }
    require!(groups.next().is_none(), FundError::ExtraRemainingAccounts);
    let paid = limit.safe_sub(left as u64)?;
    require!(paid > 0, FundError::NothingToDraw);

    // ---- book it ---------------------------------------------------------------------------
    let a = ctx.accounts;
    let mut fund = a.fund.load_mut()?;
    let (mut values, mut nav) = (values, nav);
    for &k in order {
        if debits[k] > 0 {
            fund.assets[k].debit(debits[k])?;
            let value = fund.assets[k].value_lower(numeraire_decimals)?;
            nav = nav.safe_sub(values[k])?.safe_add(value)?;
            values[k] = value;
        }
    }
    a.shortfall.record_payment(paid)?;
    a.claimant.record_draw(paid, room.claimant_level, now)?;
    fund.draw_state.level = room.fund_level.safe_add(paid)?;
    fund.draw_state.updated_at = now;
    fund.draw_state.total_drawn = fund.draw_state.total_drawn.safe_add(paid)?;
    let closed = a.shortfall.status == ShortfallStatus::Paid;
    if closed {
        fund.close_shortfall_count(&mut a.claimant, now)?;
    }
    if fund.auction_clocks_running() {
        let tilt = fund.tilt_at(now);
        fund.settle_auction_clocks_with(&values, nav, usize::MAX, tilt);
    }
    fund.invariant_flows()?;
    a.claimant.invariant()?;

    let s = &a.shortfall;
    emit!(ShortfallDrawn {
        fund: s.fund,
        shortfall: s.key(),
        id: s.id,
        payouts,
        paid,
        total_paid: s.paid,
        remaining: s.remaining(),
    });
    if closed {
        emit!(ShortfallClosed {
            fund: s.fund,
            shortfall: s.key(),
            id: s.id,
            declared: s.declared,
            paid: s.paid,
            cancelled: false,
        });
    }
    Ok(())
}
