//! The keeper's crank cut into transactions that fit a packet (`keeper::crank_transactions`):
//! a fund of 16 Pyth assets each with a Switchboard fallback needs 47 accounts to refresh,
//! more than one legacy transaction carries.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ifund::chain::{wire_size, SendOptions, MAX_TRANSACTION_BYTES};
use ifund::keeper::crank_transactions;
use insurance_fund::state::{Fund, OracleSource, FALLBACK_SWITCHBOARD};
use insurance_fund_client::remaining::all_assets_mask;

fn key(tag: u8, k: usize) -> Pubkey {
    let mut b = [tag; 32];
    b[0] = k as u8;
    Pubkey::new_from_array(b)
}

/// `n` Pyth-priced assets, each with a fallback when `fallbacks`; targets set and
/// rebalancing configured so the crank ends with `sync_auctions`.
fn fund(n: usize, fallbacks: bool) -> Box<Fund> {
    let mut f: Box<Fund> = Box::new(bytemuck::Zeroable::zeroed());
    f.asset_count = n as u8;
    f.rebalance.band_bps = 100;
    for k in 0..n {
        let a = &mut f.assets[k];
        a.mint = key(1, k);
        a.vault = key(2, k);
        a.oracle.source = OracleSource::PythPull as u8;
        a.target_bps = (10_000 / n) as u16;
        if fallbacks {
            a.fallback.source = FALLBACK_SWITCHBOARD;
            a.fallback.feed = key(3, k);
        }
    }
    f
}

/// The refresh masks of each transaction, and whether `sync_auctions` is in the last one.
fn masks(txs: &[Vec<Instruction>], fund_key: &Pubkey) -> (Vec<u16>, bool) {
    let refresh = insurance_fund_client::ix::refresh_prices(fund_key, 1, vec![]).data;
    let sync = insurance_fund_client::ix::sync_auctions(fund_key).data;
    let mut out = vec![];
    let mut synced_last = false;
    for (t, tx) in txs.iter().enumerate() {
        for ix in tx {
            if ix.data[..8] == refresh[..8] {
                out.push(u16::from_le_bytes([ix.data[8], ix.data[9]]));
            } else {
                assert_eq!(ix.data, sync, "only refresh_prices and sync_auctions");
                synced_last = t + 1 == txs.len();
            }
        }
    }
    (out, synced_last)
}

#[test]
fn sixteen_assets_with_fallbacks_are_refreshed_in_transactions_that_each_fit() {
    let fund_key = key(9, 0);
    let payer = key(8, 0);
    let f = fund(16, true);
    let prices = |k: usize, _: &insurance_fund::state::Asset| Some(key(4, k));
    let opts = SendOptions::default();
    // one transaction could not carry it
    let whole =
        insurance_fund_client::remaining::refresh_prices_accounts(&f, 0xffff, prices).unwrap();
    assert_eq!(whole.len(), 48);
    let one = insurance_fund_client::ix::refresh_prices(&fund_key, 0xffff, whole);
    assert!(wire_size(&payer, &[one], &opts) > MAX_TRANSACTION_BYTES);

    let txs =
        crank_transactions(&fund_key, &f, &prices, all_assets_mask(&f), &payer, &opts).unwrap();
    assert_eq!(txs.len(), 2);
    for tx in &txs {
        assert!(wire_size(&payer, tx, &opts) <= MAX_TRANSACTION_BYTES);
    }
    let (m, synced_last) = masks(&txs, &fund_key);
    // consecutive, disjoint, together every asset once
    assert_eq!(m.iter().fold(0u16, |a, b| a | b), 0xffff);
    assert_eq!(m.iter().map(|b| b.count_ones()).sum::<u32>(), 16);
    assert!(m[0] & 1 != 0 && m[0].trailing_ones() == m[0].count_ones());
    assert!(synced_last);
}

#[test]
fn a_small_fund_is_refreshed_and_synced_in_one_transaction() {
    let fund_key = key(9, 0);
    let payer = key(8, 0);
    let f = fund(4, false);
    let prices = |k: usize, _: &insurance_fund::state::Asset| Some(key(4, k));
    // the dead feed of asset 2 left out
    let txs = crank_transactions(
        &fund_key,
        &f,
        &prices,
        0b1011,
        &payer,
        &SendOptions::default(),
    )
    .unwrap();
    assert_eq!(txs.len(), 1);
    assert_eq!(masks(&txs, &fund_key), (vec![0b1011], true));
    // nothing live: only the sync
    let txs =
        crank_transactions(&fund_key, &f, &prices, 0, &payer, &SendOptions::default()).unwrap();
    assert_eq!(masks(&txs, &fund_key), (vec![], true));
}
