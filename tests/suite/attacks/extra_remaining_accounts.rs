//! Extra, missing and reordered remaining accounts. Two instructions read remaining accounts,
//! `refresh_prices` (per selected asset in index order: its price account for a Pyth asset,
//! then its vault) and `draw` (per payout group in waterfall order: vault, mint, payout
//! account, token program); every other instruction refuses any. Each deviation from the
//! documented layout is refused with its named error, and nothing changes.

use super::{assert_error_at, assert_unchanged, snapshot, world_accounts};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::AccountMeta;
use insurance_fund::error::FundError;
use insurance_fund::state::LiquidityClass;
use insurance_fund_tests::*;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

#[tokio::test]
async fn refresh_prices_refuses_extra_missing_and_reordered_price_and_vault_accounts() {
    let mut w = World::new().await;
    // a second Pyth asset (feed 3), so two price accounts can trade places
    let mint = w.new_mint;
    w.f.add_asset(
        mint,
        asset_params(LiquidityClass::Liquid, 5_000, pyth_oracle(3)),
    )
    .await
    .unwrap();
    let a = w.f.h.assets.clone();
    let (v0, v1, v2) = (a[0].vault, a[1].vault, a[2].vault);
    let (o1, o2) = (a[1].oracle.unwrap(), a[2].oracle.unwrap());
    let junk = Pubkey::new_unique();
    let all = 0b111;
    use FundError::*;
    let cases: Vec<(&str, u16, Vec<Pubkey>, FundError)> = vec![
        // extra
        (
            "an unknown trailing account",
            all,
            vec![v0, o1, v1, o2, v2, junk],
            ExtraRemainingAccounts,
        ),
        (
            "a vault again at the end",
            all,
            vec![v0, o1, v1, o2, v2, v0],
            ExtraRemainingAccounts,
        ),
        (
            "a price account again at the end",
            all,
            vec![v0, o1, v1, o2, v2, o1],
            ExtraRemainingAccounts,
        ),
        (
            "the full layout for one asset",
            0b010,
            vec![o1, v1, o2, v2],
            ExtraRemainingAccounts,
        ),
        (
            "a price account for the fixed-price asset",
            0b001,
            vec![o1, v0],
            VaultMismatch,
        ),
        // missing
        ("nothing", all, vec![], MissingRemainingAccounts),
        (
            "the last vault",
            all,
            vec![v0, o1, v1, o2],
            MissingRemainingAccounts,
        ),
        (
            "the last price account",
            all,
            vec![v0, o1, v1, v2],
            MissingRemainingAccounts,
        ),
        (
            "a middle price account",
            all,
            vec![v0, v1, o2, v2],
            VaultMismatch,
        ),
        // reordered
        (
            "assets out of index order",
            all,
            vec![o1, v1, v0, o2, v2],
            VaultMismatch,
        ),
        (
            "vault before its price account",
            all,
            vec![v0, v1, o1, o2, v2],
            VaultMismatch,
        ),
        (
            "two vaults swapped",
            all,
            vec![v0, o1, v2, o2, v1],
            VaultMismatch,
        ),
        (
            "two price accounts swapped",
            all,
            vec![v0, o2, v1, o1, v2],
            OracleBelongsToOtherAsset,
        ),
    ];
    let mut keys = world_accounts(&w);
    keys.push(v2);
    // newer prices published: a refresh that went through would cache them
    w.f.ctx.advance_clock(1).await;
    w.f.set_pyth_price(1, 100_000_000, -8, 0).await;
    w.f.set_pyth_price(2, 100_000_000, -8, 0).await;
    let before = snapshot(&mut w.f.ctx, &keys).await;
    for (what, mask, remaining, err) in cases {
        let metas: Vec<(Pubkey, bool)> = remaining.iter().map(|k| (*k, false)).collect();
        let ix = w.f.refresh_ix_with(mask, &metas);
        let out = w.f.ctx.send(&[ix], &[]).await;
        assert_fund_error(&out, err);
        assert_unchanged(&mut w.f.ctx, &keys, &before, what).await;
    }
    // the documented layout is accepted
    w.f.ctx.send_ok(&[w.f.refresh_ix(all)], &[]).await;
}

#[tokio::test]
async fn draw_refuses_extra_missing_and_reordered_payout_groups() {
    let mut w = World::new().await;
    let c = w.claimant.pubkey();
    let owner = w.payout_owner;
    let mint1 = w.f.h.assets[1].mint;
    let payout1 = w.f.ctx.create_token_account(&mint1, &owner).await;
    let group = |k: usize, destination: Pubkey| {
        let a = w.f.h.assets[k];
        vec![
            AccountMeta::new(a.vault, false),
            AccountMeta::new_readonly(a.mint.key, false),
            AccountMeta::new(destination, false),
            AccountMeta::new_readonly(a.mint.program_id(), false),
        ]
    };
    let g0 = group(0, w.payout);
    let g1 = group(1, payout1);
    let permute = |order: [usize; 4]| order.map(|i| g0[i].clone()).to_vec();
    let cat = |a: &[AccountMeta], b: &[AccountMeta]| [a, b].concat();
    let junk = vec![AccountMeta::new_readonly(Pubkey::new_unique(), false)];
    use FundError::*;
    // the world's shortfall (10 USD) is paid in full by asset 0, first in the waterfall
    let cases: Vec<(&str, Vec<AccountMeta>, FundError)> = vec![
        // extra
        (
            "a second group once paid",
            cat(&g0, &g1),
            ExtraRemainingAccounts,
        ),
        (
            "the same group twice",
            cat(&g0, &g0),
            ExtraRemainingAccounts,
        ),
        (
            "one unknown trailing account",
            cat(&g0, &junk),
            ExtraRemainingAccounts,
        ),
        // missing
        (
            "a group without its token program",
            g0[..3].to_vec(),
            MissingRemainingAccounts,
        ),
        (
            "a group of one vault",
            g0[..1].to_vec(),
            MissingRemainingAccounts,
        ),
        ("no group at all", vec![], NothingToDraw),
        // reordered
        (
            "groups out of waterfall order",
            cat(&g1, &g0),
            WaterfallOrderViolated,
        ),
        (
            "mint in the vault slot",
            permute([1, 0, 2, 3]),
            WaterfallOrderViolated,
        ),
        (
            "payout account in the mint slot",
            permute([0, 2, 1, 3]),
            UnknownAsset,
        ),
        (
            "token program and payout swapped",
            permute([0, 1, 3, 2]),
            TokenProgramMismatch,
        ),
    ];
    let mut keys = world_accounts(&w);
    keys.push(payout1);
    let before = snapshot(&mut w.f.ctx, &keys).await;
    for (what, remaining, err) in cases {
        let mut ix = w.f.draw_ix(&c, 0, 10 * ONE, &[]);
        ix.accounts.extend(remaining);
        let out = w.f.ctx.send(&[ix], &[&w.claimant]).await;
        assert_fund_error(&out, err);
        assert_unchanged(&mut w.f.ctx, &keys, &before, what).await;
    }
    // the documented layout pays
    let ix = w.f.draw_ix(&c, 0, 10 * ONE, &[(0, w.payout)]);
    w.f.ctx.send_ok(&[ix], &[&w.claimant]).await;
    assert_eq!(w.f.ctx.token_balance(&w.payout).await, 10 * ONE);
}

/// Every other instruction refuses any remaining account (`ExtraRemainingAccounts`, checked
/// by `no_remaining_accounts` before its handler runs) and changes nothing: an unknown
/// read-only key, and the fund itself as a writable extra. The two readers are covered by
/// the matrices above.
#[tokio::test]
async fn every_other_instruction_refuses_any_remaining_account() {
    let mut w = World::new().await;
    let keys = world_accounts(&w);
    let before = snapshot(&mut w.f.ctx, &keys).await;
    let fund = w.f.fund;
    let mut tried = vec![];
    for c in w.every_instruction() {
        if matches!(c.name, "refresh_prices" | "draw") {
            continue;
        }
        for extra in [
            AccountMeta::new_readonly(Pubkey::new_unique(), false),
            AccountMeta::new(fund, false),
        ] {
            let mut ix = c.ix.clone();
            ix.accounts.push(extra);
            let signers: Vec<&solana_keypair::Keypair> = c.signers.iter().collect();
            let out = w.f.ctx.send(&[ix], &signers).await;
            // the logs (printed on failure) name the instruction
            assert_error_at(&out, 0, fund_error_code(FundError::ExtraRemainingAccounts));
            assert_unchanged(&mut w.f.ctx, &keys, &before, c.name).await;
        }
        tried.push(c.name);
    }
    assert_eq!(tried.len(), 30, "{tried:?}");
}
