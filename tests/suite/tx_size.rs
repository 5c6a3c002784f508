//! A keeper's `refresh_prices` of every asset of a full (16-asset) fund fits Solana's
//! 1,232-byte packet with an address lookup table; without one, 15 Pyth assets fit.

use insurance_fund::constants::MAX_ASSETS;
use insurance_fund::state::LiquidityClass;
use insurance_fund_tests::*;
use solana_transaction::{versioned::VersionedTransaction, Transaction};

const PACKET: usize = 1_232;

async fn full_fund() -> FundFixture {
    let specs = (0..MAX_ASSETS)
        .map(|i| {
            AssetSpec::new(
                TokenKind::Spl,
                6,
                asset_params(LiquidityClass::Liquid, 10_000, pyth_oracle(i as u8 + 1)),
                625,
            )
        })
        .collect();
    TestBuilder::new()
        .assets(specs)
        .min_liquid_bps(0)
        .build()
        .await
}

#[tokio::test]
async fn refreshing_all_sixteen_assets_fits_with_a_lookup_table() {
    let mut f = full_fund().await;
    let ix = f.refresh_ix(f.all_assets());

    // Without a table the transaction is too large ...
    let legacy = legacy_size(&f, 16);
    assert!(legacy > PACKET, "legacy size {legacy}");

    // ... with the fund, its vaults and its oracles in a table it fits, and it works.
    let mut addresses = vec![f.fund];
    for a in &f.h.assets {
        addresses.push(a.vault);
        addresses.push(a.oracle.unwrap());
    }
    let table = f.ctx.set_lookup_table(&addresses);
    let tx = f.ctx.v0_transaction(&[ix], &[(table, addresses)]);
    let size = wire_size(&tx);
    assert!(size <= PACKET, "size with lookup table {size}");
    f.ctx.process(tx).await.unwrap();
    let s = f.state().await;
    let now = f.ctx.now().await;
    assert!(s
        .registered_assets()
        .iter()
        .all(|a| a.price.is_fresh(now, 60)));
}

/// Wire size of a legacy transaction refreshing the first `n` assets.
fn legacy_size(f: &FundFixture, n: usize) -> usize {
    let mask = ((1u32 << n) - 1) as u16;
    let mut tx = Transaction::new_with_payer(&[f.refresh_ix(mask)], Some(&f.ctx.payer_key()));
    tx.sign(&[f.ctx.payer()], f.ctx.ctx.last_blockhash);
    wire_size(&VersionedTransaction::from(tx))
}

#[tokio::test]
async fn fifteen_pyth_assets_fit_without_a_lookup_table() {
    let f = full_fund().await;
    assert!(
        legacy_size(&f, 15) <= PACKET,
        "15 assets: {}",
        legacy_size(&f, 15)
    );
    assert!(
        legacy_size(&f, 16) > PACKET,
        "16 assets: {}",
        legacy_size(&f, 16)
    );
}
