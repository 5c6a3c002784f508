//! Synthetic Pyth `PriceUpdateV2` accounts written straight into the bank, and the clock.

use crate::runtime::TestContext;
use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use solana_account::Account;

/// One Pyth price as the receiver program would have posted it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PythPrice {
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub expo: i32,
    pub publish_time: i64,
    pub verification: VerificationLevel,
}

impl PythPrice {
    /// `price` with `expo`, EMA equal to spot, confidence 0.1 %, fully verified.
    pub fn new(feed_id: [u8; 32], price: i64, expo: i32, publish_time: i64) -> Self {
        Self {
            feed_id,
            price,
            conf: (price / 1000) as u64,
            ema_price: price,
            ema_conf: (price / 1000) as u64,
            expo,
            publish_time,
            verification: VerificationLevel::Full,
        }
    }
}

/// The bytes of a `PriceUpdateV2` account holding `p`.
pub fn price_update_data(p: &PythPrice) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority: Pubkey::new_unique(),
        verification_level: p.verification,
        price_message: PriceFeedMessage {
            feed_id: p.feed_id,
            price: p.price,
            conf: p.conf,
            exponent: p.expo,
            publish_time: p.publish_time,
            prev_publish_time: p.publish_time - 1,
            ema_price: p.ema_price,
            ema_conf: p.ema_conf,
        },
        posted_slot: 1,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update.try_serialize(&mut data).unwrap();
    data
}

impl TestContext {
    /// Writes a price update account at `key` owned by `owner` (normally the receiver).
    pub fn set_price_account_owned(&mut self, key: &Pubkey, p: &PythPrice, owner: Pubkey) {
        let data = price_update_data(p);
        let account = Account {
            lamports: 10_000_000,
            data,
            owner,
            executable: false,
            rent_epoch: 0,
        };
        self.ctx.set_account(key, &account.into());
    }

    /// Writes a price update account at `key`, owned by the Pyth receiver program.
    pub fn set_price(&mut self, key: &Pubkey, p: &PythPrice) {
        self.set_price_account_owned(key, p, pyth_solana_receiver_sdk::ID);
    }

    /// The bank's unix time.
    pub async fn now(&mut self) -> i64 {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .unwrap()
            .unix_timestamp
    }

    /// Moves the bank's clock forward by `secs` seconds.
    pub async fn advance_clock(&mut self, secs: i64) {
        let mut clock = self.ctx.banks_client.get_sysvar::<Clock>().await.unwrap();
        clock.unix_timestamp += secs;
        self.ctx.set_sysvar(&clock);
    }
}
