//! Accounts the validator starts with or the test writes while it runs, encoded here (this
//! crate cannot depend on the SPL or Pyth crates the main workspace uses): SPL Token /
//! Token-2022 mints and token accounts (the 82- and 165-byte base layouts, valid under both
//! programs when no extension is present), and Pyth `PriceUpdateV2` accounts in the receiver
//! SDK's layout.

use sha2::{Digest, Sha256};
use solana_account::{Account, AccountSharedData};
use solana_pubkey::{pubkey, Pubkey};

pub const TOKEN_PROGRAM: Pubkey = pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
pub const TOKEN_2022_PROGRAM: Pubkey = pubkey!("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");
pub const ASSOCIATED_TOKEN_PROGRAM: Pubkey =
    pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
pub const SYSTEM_PROGRAM: Pubkey = pubkey!("11111111111111111111111111111111");
/// The Pyth Solana receiver: the owner the fund requires of a `PriceUpdateV2` account.
pub const PYTH_RECEIVER: Pubkey = pubkey!("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
/// The Pyth push oracle: its PDAs `[shard u16 LE, feed_id]` are the sponsored price feeds
/// (`ifund keeper`'s default price account for an asset).
pub const PYTH_PUSH_ORACLE: Pubkey = pubkey!("pythWSnswVUd12oZpeFP8e9CVaEqJg25g1Vtc2biRsT");

/// Rent-exempt enough for any account here (the validator checks rent on writes only).
const LAMPORTS: u64 = 100_000_000;

/// Anchor's 8-byte discriminator: `sha256("<namespace>:<name>")[..8]`.
pub fn discriminator(namespace: &str, name: &str) -> [u8; 8] {
    let hash = Sha256::digest(format!("{namespace}:{name}").as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&hash[..8]);
    out
}

/// A system account holding `lamports`.
pub fn system_account(lamports: u64) -> AccountSharedData {
    Account {
        lamports,
        data: vec![],
        owner: SYSTEM_PROGRAM,
        executable: false,
        rent_epoch: 0,
    }
    .into()
}

fn owned(owner: Pubkey, data: Vec<u8>) -> AccountSharedData {
    Account {
        lamports: LAMPORTS,
        data,
        owner,
        executable: false,
        rent_epoch: 0,
    }
    .into()
}

fn coption_key(out: &mut Vec<u8>, key: Option<&Pubkey>) {
    match key {
        Some(k) => {
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(k.as_ref());
        }
        None => out.extend_from_slice(&[0u8; 36]),
    }
}

/// A mint (no extensions) under `token_program`: 82 bytes, initialized, no freeze authority.
pub fn mint(
    token_program: Pubkey,
    authority: &Pubkey,
    supply: u64,
    decimals: u8,
) -> AccountSharedData {
    let mut d = Vec::with_capacity(82);
    coption_key(&mut d, Some(authority));
    d.extend_from_slice(&supply.to_le_bytes());
    d.push(decimals);
    d.push(1); // is_initialized
    coption_key(&mut d, None);
    assert_eq!(d.len(), 82);
    owned(token_program, d)
}

/// A token account (no extensions) under `token_program`: 165 bytes, initialized.
pub fn token_account(
    token_program: Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> AccountSharedData {
    let mut d = Vec::with_capacity(165);
    d.extend_from_slice(mint.as_ref());
    d.extend_from_slice(owner.as_ref());
    d.extend_from_slice(&amount.to_le_bytes());
    coption_key(&mut d, None); // delegate
    d.push(1); // state: Initialized
    d.extend_from_slice(&[0u8; 12]); // is_native: None
    d.extend_from_slice(&0u64.to_le_bytes()); // delegated_amount
    coption_key(&mut d, None); // close_authority
    assert_eq!(d.len(), 165);
    owned(token_program, d)
}

/// The `amount` of a token account (offset 64 in both programs' layout).
pub fn token_amount(data: &[u8]) -> u64 {
    u64::from_le_bytes(data[64..72].try_into().expect("token account data"))
}

/// The associated token account of `owner` for `mint` under `token_program`.
pub fn ata(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &ASSOCIATED_TOKEN_PROGRAM,
    )
    .0
}

/// The sponsored Pyth feed account of `feed_id` on shard 0.
pub fn pyth_feed_address(feed_id: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(&[&0u16.to_le_bytes(), feed_id.as_ref()], &PYTH_PUSH_ORACLE).0
}

/// One Pyth price as the receiver would post it: `price * 10^expo`, confidence `conf`, the EMA
/// equal to spot, fully verified.
#[derive(Clone, Copy, Debug)]
pub struct PythPrice {
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    pub publish_time: i64,
}

/// `PriceUpdateV2::LEN` in the receiver SDK: what the receiver allocates.
pub const PRICE_UPDATE_V2_LEN: usize = 8 + 32 + 2 + 32 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 8;

/// The bytes of a `PriceUpdateV2` account holding `p` (Anchor discriminator, then Borsh:
/// `write_authority`, `verification_level` (`Full` is variant 1, no payload),
/// `PriceFeedMessage { feed_id, price, conf, exponent, publish_time, prev_publish_time,
/// ema_price, ema_conf }`, `posted_slot`), zero-padded to the receiver's allocation.
pub fn price_update_data(p: &PythPrice, posted_slot: u64) -> Vec<u8> {
    let mut d = Vec::with_capacity(PRICE_UPDATE_V2_LEN);
    d.extend_from_slice(&discriminator("account", "PriceUpdateV2"));
    d.extend_from_slice(PYTH_RECEIVER.as_ref()); // write authority: any key
    d.push(1); // VerificationLevel::Full
    d.extend_from_slice(&p.feed_id);
    d.extend_from_slice(&p.price.to_le_bytes());
    d.extend_from_slice(&p.conf.to_le_bytes());
    d.extend_from_slice(&p.expo.to_le_bytes());
    d.extend_from_slice(&p.publish_time.to_le_bytes());
    d.extend_from_slice(&p.publish_time.saturating_sub(1).to_le_bytes());
    d.extend_from_slice(&p.price.to_le_bytes()); // ema_price
    d.extend_from_slice(&p.conf.to_le_bytes()); // ema_conf
    d.extend_from_slice(&posted_slot.to_le_bytes());
    d.resize(PRICE_UPDATE_V2_LEN, 0);
    d
}

/// A `PriceUpdateV2` account owned by the Pyth receiver.
pub fn price_update(p: &PythPrice, posted_slot: u64) -> AccountSharedData {
    owned(PYTH_RECEIVER, price_update_data(p, posted_slot))
}

/// A feed id from its hex form (`0x...`).
pub fn feed_id(hex: &str) -> [u8; 32] {
    let hex = hex.trim_start_matches("0x");
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex feed id");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_update_discriminator_is_the_receivers() {
        // the fund's mirror of the layout (programs/insurance_fund/src/oracle.rs) uses these bytes
        assert_eq!(
            discriminator("account", "PriceUpdateV2"),
            [34, 241, 35, 99, 157, 126, 244, 205]
        );
        assert_eq!(PRICE_UPDATE_V2_LEN, 134);
    }
}
