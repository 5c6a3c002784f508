//! Property test over random sequences of declare / draw / cancel / clock warps against the
//! real runtime: paid never exceeds declared nor any cap, NAV falls by at most the value
//! credited (exactly, with exact prices), and a failed transaction changes nothing.
//!
//! `PROPTEST_CASES` sets the number of sequences (default 24 here; the longer run is
//! `PROPTEST_CASES=500 cargo test -p insurance_fund_tests --test suite draw_properties`).

use insurance_fund::state::{ClaimantCaps, ShortfallStatus};
use insurance_fund_tests::shortfall::{refresh, set_prices, setup_with, Setup};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

#[derive(Clone, Debug)]
enum Op {
    Declare(u64),
    /// Draw toward the shortfall picked by index, up to a value, paying from every payable
    /// asset in waterfall order.
    Draw(usize, u64),
    Cancel(usize),
    Warp(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u64..400).prop_map(|t| Op::Declare(t * ONE)),
        (0usize..4, 1u64..300 * ONE).prop_map(|(i, v)| Op::Draw(i, v)),
        (0usize..4).prop_map(Op::Cancel),
        (0i64..100_000).prop_map(Op::Warp),
    ]
}

fn caps() -> ClaimantCaps {
    ClaimantCaps {
        max_per_shortfall: 300 * ONE,
        max_per_window: 250 * ONE,
        lifetime_max: 700 * ONE,
    }
}

async fn run(ops: Vec<Op>) {
    let mut s: Setup = setup_with(caps()).await;
    let mut ids: Vec<u64> = vec![];
    let mut credited_total: u64 = 0;
    for op in ops {
        let before = s.f.state().await;
        let nav_before = before.nav().unwrap();
        let drawn_before = before.draw_state.total_drawn;
        let outcome = match op {
            Op::Declare(amount) => {
                let id = before.draw_state.shortfall_count;
                let ix = s.f.declare_ix(
                    &s.authority.pubkey(),
                    &s.authority.pubkey(),
                    id,
                    amount,
                    [1; 32],
                );
                let out = s.f.ctx.send(&[ix], &[&s.authority]).await;
                if out.result.is_ok() {
                    ids.push(id);
                }
                out
            }
            Op::Draw(i, max_value) if !ids.is_empty() => {
                let id = ids[i % ids.len()];
                // the payable assets, in waterfall order, from the fund's own state
                let order = before.draw_waterfall().as_slice().to_vec();
                s.draw(id, max_value, &order).await
            }
            Op::Cancel(i) if !ids.is_empty() => {
                let id = ids[i % ids.len()];
                let a = s.authority.pubkey();
                let ix = s.f.cancel_ix(&a, &a, id);
                s.f.ctx.send(&[ix], &[&s.authority]).await
            }
            Op::Warp(secs) => {
                s.f.ctx.advance_clock(secs).await;
                set_prices(&mut s.f, 100_000_000, 0, 200_000_000, 0).await;
                refresh(&mut s.f).await;
                continue;
            }
            _ => continue,
        };
        let after = s.f.state().await;
        if outcome.result.is_err() {
            assert_eq!(
                *after, *before,
                "a failed transaction changes nothing: {op:?}"
            );
            continue;
        }
        let credited = after.draw_state.total_drawn - drawn_before;
        credited_total += credited;
        let nav_after = after.nav().unwrap();
        // exact prices: NAV falls by exactly what was credited
        assert_eq!(nav_before - nav_after, credited as u128, "{op:?}");
    }
    // paid <= declared and every cap, over the whole sequence
    let c = s.claimant().await;
    assert!(c.drawn_lifetime <= caps().lifetime_max);
    assert_eq!(c.drawn_lifetime, credited_total);
    let mut open = 0;
    for id in ids {
        let r = s.shortfall(id).await;
        assert!(r.paid <= r.declared);
        assert!(r.paid <= caps().max_per_shortfall);
        assert_eq!(
            r.status == ShortfallStatus::Paid,
            r.paid == r.declared && r.paid > 0
        );
        open += (r.status == ShortfallStatus::Open) as u32;
    }
    assert_eq!(s.f.state().await.draw_state.open_shortfalls, open);
}

#[test]
fn random_declare_draw_cancel_sequences_keep_the_invariants() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runner
        .run(&proptest::collection::vec(op(), 1..10), |ops| {
            rt.block_on(run(ops));
            Ok(())
        })
        .unwrap();
}
