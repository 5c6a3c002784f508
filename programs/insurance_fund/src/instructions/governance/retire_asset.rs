use crate::error::FundError;
use crate::events::AssetRetired;
use crate::state::Fund;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct RetireAsset<'info> {
    pub governance: Signer<'info>,
    #[account(mut, has_one = governance @ FundError::NotGovernance)]
    pub fund: AccountLoader<'info, Fund>,
}

/// Retires an asset at once: for a dead feed or a dangerous token (a hacked LST, a drained
/// pool's LP token). Tightening only, so it never waits for the timelock, and one-way: a
/// retired asset can only be wound down and removed (`remove_asset`); bringing it back is a
/// new `add_asset`, which waits for the timelock.
///
/// Specification:
/// - Only governance may call (`NotGovernance`); `mint` is registered (`UnknownAsset`) and not
///   retired yet (`AssetIsRetired`).
/// - Its target weight is already 0 (`AssetTargetNotZero`): send `set_targets` first, in the
///   same transaction (targets always sum to 10,000 bps).
/// - Marks it retired: it is valued at 0 in NAV, weights, the concentration and liquidity
///   bounds and the draw cap; its price never counts as stale (it blocks nothing); its
///   `DEPOSIT`, `REBALANCE_IN` and `DRAW` flags are cleared (no deposits, never bought by a
///   fill, never paid out), and `update_asset` refuses it from now on (`AssetIsRetired`).
///   Keepers may still buy out what it holds (`REBALANCE_OUT` is kept): once its feed is
///   fresh again, `rebalance` and flash fills take it for an asset under its target at its
///   sale price plus the auction premium, the fund's NAV only rising (it counts as over its
///   band until empty: `Asset::for_buy_out`, `math::rebalance::FillPair::buy_out`).
/// - Takes the fund's next configuration stamp (a queued change of the asset is void).
/// - Emits `AssetRetired` with the balance it still holds.
pub fn retire_asset(ctx: Context<RetireAsset>, mint: Pubkey) -> Result<()> {
    let mut fund = ctx.accounts.fund.load_mut()?;
    let index = fund.retire_asset(&mint)?;
    let balance = fund.assets[index].booked_balance;
    fund.invariant()?;

    emit!(AssetRetired {
        fund: ctx.accounts.fund.key(),
        mint,
        booked_balance: balance,
    });
    Ok(())
}
