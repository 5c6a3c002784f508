//! A liquidation program as production uses the fund: its PDA is the claimant authority and
//! it calls `declare_shortfall` and `draw` through CPI with `invoke_signed`. The caller is
//! the test-only `mock_liquidator` (native in both modes; the fund runs in the selected mode).

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::AccountMeta;
use insurance_fund::error::FundError;
use insurance_fund::state::{Claimant, ClaimantCaps, DrawConfig, Shortfall, ShortfallStatus};
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const REFERENCE: [u8; 32] = [7; 32];
/// Each vault starts with this many atoms (10.00 at 6 decimals).
const FUNDED: u64 = 10_000_000;

/// A fund (asset 0: SPL at a fixed 1.00; asset 1: Token-2022, Pyth 1.00 ± 0.1 %) holding
/// `FUNDED` of each asset with fresh prices, draws configured, and the mock's PDA
/// registered as claimant authority and payout owner; returns the PDA's token account for
/// each asset.
async fn setup() -> (FundFixture, [Pubkey; 2]) {
    let mut f = TestBuilder::new().build().await;
    let gov = f.gov();
    let pda = liquidator_authority();
    let draws = DrawConfig {
        fund_cap_bps: 10_000,
        ..draw_config()
    };
    let caps = ClaimantCaps {
        max_per_shortfall: 15_000_000,
        max_per_window: 15_000_000,
        lifetime_max: 15_000_000,
    };
    let ixs = [
        f.set_draw_params_ix(&gov, draws),
        f.register_claimant_ix(&gov, pda, pda, caps),
    ];
    f.send_gov(&ixs).await.unwrap();
    for i in 0..2 {
        let (who, source) = f.depositor(i, FUNDED).await;
        let ix = f.deposit_ix(&who.pubkey(), i, &source, FUNDED);
        f.ctx.send_ok(&[ix], &[&who]).await;
    }
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    let (m0, m1) = (f.assets[0].mint, f.assets[1].mint);
    let payouts = [
        f.ctx.create_token_account(&m0, &pda).await,
        f.ctx.create_token_account(&m1, &pda).await,
    ];
    (f, payouts)
}

async fn read<T: AccountDeserialize>(ctx: &mut TestContext, key: &Pubkey) -> T {
    let data = ctx.account(key).await.expect("account exists").data;
    T::try_deserialize(&mut &data[..]).expect("account decodes")
}

async fn shortfall(f: &mut FundFixture, id: u64) -> Shortfall {
    let key = f.shortfall_address(id);
    read(&mut f.ctx, &key).await
}

/// Per asset: the vault's token balance, the fund's booked balance, and the PDA's payout
/// account's token balance.
#[derive(Clone, Copy, Debug)]
struct Balances {
    vault: [u64; 2],
    booked: [u64; 2],
    pda: [u64; 2],
}

async fn balances(f: &mut FundFixture, payouts: &[Pubkey; 2]) -> Balances {
    let state = f.state().await;
    let mut b = Balances {
        vault: [0; 2],
        booked: [0; 2],
        pda: [0; 2],
    };
    for (i, payout) in payouts.iter().enumerate() {
        let vault = f.assets[i].vault;
        b.vault[i] = f.ctx.token_balance(&vault).await;
        b.booked[i] = state.assets[i].booked_balance;
        b.pda[i] = f.ctx.token_balance(payout).await;
    }
    b
}

/// Asset `i` moved exactly `amount` atoms from the vault (and its booking) to the PDA.
#[track_caller]
fn assert_paid(before: Balances, after: Balances, i: usize, amount: u64) {
    assert_eq!(
        after.pda[i],
        before.pda[i] + amount,
        "asset {i}: PDA received"
    );
    assert_eq!(
        after.vault[i],
        before.vault[i] - amount,
        "asset {i}: vault paid"
    );
    assert_eq!(
        after.booked[i],
        before.booked[i] - amount,
        "asset {i}: booked"
    );
}

/// The fund ran as a CPI (stack height 2) under the mock, not as a top-level instruction.
#[track_caller]
fn assert_called_through_mock(out: &Outcome) {
    let mock = format!("Program {} invoke [1]", mock_liquidator::ID);
    let fund = format!("Program {} invoke [2]", insurance_fund::ID);
    let at = |needle: &str| out.logs.iter().position(|l| *l == needle);
    match (at(&mock), at(&fund)) {
        (Some(m), Some(f)) if m < f => {}
        _ => panic!(
            "expected the fund invoked by the mock\n{}",
            out.logs.join("\n")
        ),
    }
}

#[tokio::test]
async fn liquidator_declares_and_draws_through_cpi() {
    let (mut f, payouts) = setup().await;
    let claimant = f.liquidator_claimant();

    // ---- shortfall 0: 3.00, declared by the PDA through CPI -----------------------------
    let ix = f.liquidator_declare_ix(claimant, 0, 3_000_000, REFERENCE);
    let out = f.ctx.send_ok(&[ix], &[]).await;
    assert_called_through_mock(&out);
    let s = shortfall(&mut f, 0).await;
    assert_eq!((s.claimant, s.declared, s.paid), (claimant, 3_000_000, 0));
    assert_eq!((s.status, s.needs_approval), (ShortfallStatus::Open, false));
    assert_eq!((s.reference, s.rent_payer), (REFERENCE, f.payer));

    // a partial draw of 1.00 from asset 0 (fixed 1.00: one atom per numeraire atom)
    let before = balances(&mut f, &payouts).await;
    let ix = f.liquidator_draw_ix(claimant, 0, 1_000_000, &[(0, payouts[0])]);
    let out = f.ctx.send_ok(&[ix], &[]).await;
    assert_called_through_mock(&out);
    let after = balances(&mut f, &payouts).await;
    assert_paid(before, after, 0, 1_000_000);
    assert_paid(before, after, 1, 0);
    let s = shortfall(&mut f, 0).await;
    assert_eq!((s.paid, s.status), (1_000_000, ShortfallStatus::Open));

    // asking for more than remains pays exactly the remaining 2.00 and closes it
    let before = after;
    let ix = f.liquidator_draw_ix(claimant, 0, 50_000_000, &[(0, payouts[0])]);
    f.ctx.send_ok(&[ix], &[]).await;
    let after = balances(&mut f, &payouts).await;
    assert_paid(before, after, 0, 2_000_000);
    assert_eq!(after.pda[0], 3_000_000);
    assert_eq!((after.vault[0], after.booked[0]), (7_000_000, 7_000_000));
    let s = shortfall(&mut f, 0).await;
    assert_eq!((s.paid, s.status), (3_000_000, ShortfallStatus::Paid));
    let c: Claimant = read(&mut f.ctx, &claimant).await;
    assert_eq!((c.drawn_lifetime, c.open_shortfalls), (3_000_000, 0));

    // ---- shortfall 1: 9.00, across both assets (two payout groups passed through) -------
    let ix = f.liquidator_declare_ix(claimant, 1, 9_000_000, REFERENCE);
    f.ctx.send_ok(&[ix], &[]).await;
    let before = balances(&mut f, &payouts).await;
    let pay = [(0, payouts[0]), (1, payouts[1])];
    let ix = f.liquidator_draw_ix(claimant, 1, 9_000_000, &pay);
    f.ctx.send_ok(&[ix], &[]).await;
    let after = balances(&mut f, &payouts).await;
    // asset 0 is exhausted (7.00); the remaining 2.00 is bought at asset 1's upper price
    // 1.001: floor(2_000_000 / 1.001) = 1_998_001 atoms (never more tokens than 2.00 buys),
    // worth 1_999_999.001, credited ceil = 2_000_000 (the claim falls by at least what was
    // received), which settles the shortfall.
    assert_paid(before, after, 0, 7_000_000);
    assert_paid(before, after, 1, 1_998_001);
    let s = shortfall(&mut f, 1).await;
    assert_eq!((s.paid, s.status), (9_000_000, ShortfallStatus::Paid));
    let state = f.state().await;
    assert_eq!(state.draw_state.total_drawn, 3_000_000 + 9_000_000);
    assert_eq!(state.draw_state.open_shortfalls, 0);
}

#[tokio::test]
async fn unregistered_authorities_are_refused() {
    let (mut f, payouts) = setup().await;
    let gov = f.gov();
    let claimant = f.liquidator_claimant();
    let ix = f.liquidator_declare_ix(claimant, 0, 1_000_000, REFERENCE);
    f.ctx.send_ok(&[ix], &[]).await;

    // a keypair signing the fund's `draw` for the mock's claimant
    let intruder = Keypair::new();
    let mut ix = f.draw_ix(&liquidator_authority(), 0, 1_000_000, &[(0, payouts[0])]);
    ix.accounts[0] = AccountMeta::new_readonly(intruder.pubkey(), true);
    let out = f.ctx.send(&[ix], &[&intruder]).await;
    assert_fund_error(&out, FundError::NotClaimantAuthority);

    // the mock's PDA, through CPI, for a claimant it is not the authority of
    let other = Keypair::new();
    let caps = ClaimantCaps {
        max_per_shortfall: 1_000_000,
        max_per_window: 1_000_000,
        lifetime_max: 1_000_000,
    };
    let ix = f.register_claimant_ix(&gov, other.pubkey(), other.pubkey(), caps);
    f.send_gov(&[ix]).await.unwrap();
    let others = f.claimant_address(&other.pubkey());
    let ix = f.liquidator_declare_ix(others, 1, 1_000_000, REFERENCE);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::NotClaimantOrGovernance);
    let ix = f.declare_ix(&other.pubkey(), &other.pubkey(), 1, 1_000_000, REFERENCE);
    f.ctx.send_ok(&[ix], &[&other]).await;
    let ix = f.liquidator_draw_ix(others, 1, 1_000_000, &[(0, payouts[0])]);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::NotClaimantAuthority);

    // the mock in a second fund, where its PDA is not a claimant: its claimant of the first
    // fund does not belong there, and the second fund has none for it
    let g = TestBuilder::new().create(&mut f.ctx).await;
    let ixs = [g.set_draw_params_ix(
        &g.gov(),
        DrawConfig {
            fund_cap_bps: 10_000,
            ..draw_config()
        },
    )];
    let gov_g = g.governance.insecure_clone();
    f.ctx.send_ok(&ixs, &[&gov_g]).await;
    let ix = g.liquidator_declare_ix(claimant, 0, 1_000_000, REFERENCE);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::ClaimantFundMismatch);
    let ix = g.liquidator_declare_ix(g.liquidator_claimant(), 0, 1_000_000, REFERENCE);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_anchor_error(&out, anchor_lang::error::ErrorCode::AccountNotInitialized);

    // nothing was paid to anyone
    assert_eq!(f.ctx.token_balance(&payouts[0]).await, 0);
    let s = shortfall(&mut f, 0).await;
    assert_eq!((s.paid, s.status), (0, ShortfallStatus::Open));
}

#[tokio::test]
async fn payout_account_not_owned_by_the_pda_is_refused() {
    let (mut f, payouts) = setup().await;
    let claimant = f.liquidator_claimant();
    let ix = f.liquidator_declare_ix(claimant, 0, 1_000_000, REFERENCE);
    f.ctx.send_ok(&[ix], &[]).await;

    let stranger = Pubkey::new_unique();
    let mint = f.assets[0].mint;
    let elsewhere = f.ctx.create_token_account(&mint, &stranger).await;
    let ix = f.liquidator_draw_ix(claimant, 0, 1_000_000, &[(0, elsewhere)]);
    let out = f.ctx.send(&[ix], &[]).await;
    assert_fund_error(&out, FundError::PayoutOwnerMismatch);

    // the same draw into the PDA's own account goes through
    let ix = f.liquidator_draw_ix(claimant, 0, 1_000_000, &[(0, payouts[0])]);
    f.ctx.send_ok(&[ix], &[]).await;
    assert_eq!(f.ctx.token_balance(&payouts[0]).await, 1_000_000);
    assert_eq!(f.ctx.token_balance(&elsewhere).await, 0);
}
