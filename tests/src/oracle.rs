//! Synthetic Pyth `PriceUpdateV2` and Switchboard On-Demand `PullFeedAccountData` accounts
//! written straight into the bank, and the clock.

use crate::runtime::TestContext;
use anchor_lang::prelude::*;
use solana_account::Account;

use insurance_fund_client::decode::encode_price_update;
pub use insurance_fund_client::decode::PythPrice;

/// `price` with `expo`, EMA equal to spot, confidence 0.1 % of the price on both, fully
/// verified, published at `publish_time` (`PythPrice::new` with the suite's usual
/// confidence).
pub fn pyth_price(feed_id: [u8; 32], price: i64, expo: i32, publish_time: i64) -> PythPrice {
    PythPrice::new(feed_id, price, (price / 1000) as u64, expo, publish_time)
}

/// The bytes of a `PriceUpdateV2` account holding `p`, as the receiver would post it (slot
/// 1, a write authority of its own).
pub fn price_update_data(p: &PythPrice) -> Vec<u8> {
    encode_price_update(p, Pubkey::new_unique(), 1)
}

/// One Switchboard On-Demand result as a pull feed would hold it: the median, standard
/// deviation and the samples' range, 18 decimals each, at unix time `timestamp`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwitchboardPrice {
    pub value: i128,
    pub std_dev: i128,
    pub min_value: i128,
    pub max_value: i128,
    pub timestamp: i64,
}

/// 10^18: one unit in Switchboard's 18-decimal values.
pub const SB_ONE: i128 = 1_000_000_000_000_000_000;

impl SwitchboardPrice {
    /// `units_e8 * 10^-8` with no spread (the test's Pyth prices use exponent -8).
    pub fn new(units_e8: i64, timestamp: i64) -> Self {
        let value = i128::from(units_e8) * 10_000_000_000;
        Self {
            value,
            std_dev: 0,
            min_value: value,
            max_value: value,
            timestamp,
        }
    }
}

/// The bytes of a pull feed account holding `p`, laid out by the publisher's own crate
/// (`switchboard-on-demand` 0.13.0's `PullFeedAccountData`, its discriminator): the program
/// reads them through its mirror (`oracle::switchboard`), so a layout drift fails the tests.
pub fn pull_feed_data(p: &SwitchboardPrice) -> Vec<u8> {
    use switchboard_on_demand::{Discriminator, PullFeedAccountData};
    let mut feed: PullFeedAccountData = bytemuck::Zeroable::zeroed();
    // the result was taken from submission 3 of 5, signed at slot 40
    feed.result.value = p.value;
    feed.result.std_dev = p.std_dev;
    feed.result.mean = p.value;
    feed.result.min_value = p.min_value;
    feed.result.max_value = p.max_value;
    feed.result.range = p.max_value - p.min_value;
    feed.result.num_samples = 5;
    feed.result.submission_idx = 3;
    feed.result.slot = 40;
    feed.result.min_slot = 38;
    feed.result.max_slot = 40;
    feed.submission_timestamps[3] = p.timestamp;
    // the other submissions' times differ, so reading the wrong one shows
    for (i, t) in feed.submission_timestamps.iter_mut().enumerate().take(5) {
        if i != 3 {
            *t = p.timestamp - 1_000 - i as i64;
        }
    }
    feed.last_update_timestamp = p.timestamp + 7;
    feed.max_staleness = 100;
    feed.min_responses = 3;
    let mut data = PullFeedAccountData::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(&feed));
    data
}

/// The Switchboard On-Demand program (mainnet), from the publisher's crate.
pub fn switchboard_program_id() -> Pubkey {
    Pubkey::new_from_array(switchboard_on_demand::ON_DEMAND_MAINNET_PID.to_bytes())
}

impl TestContext {
    /// Writes a pull feed account at `key` owned by `owner` (normally Switchboard On-Demand).
    pub fn set_feed_account_owned(&mut self, key: &Pubkey, p: &SwitchboardPrice, owner: Pubkey) {
        let account = Account {
            lamports: 30_000_000,
            data: pull_feed_data(p),
            owner,
            executable: false,
            rent_epoch: 0,
        };
        self.ctx.set_account(key, &account.into());
    }

    /// Writes a pull feed account at `key`, owned by the Switchboard On-Demand program.
    pub fn set_feed(&mut self, key: &Pubkey, p: &SwitchboardPrice) {
        self.set_feed_account_owned(key, p, switchboard_program_id());
    }

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
