//! Account decoding: the fund (zero-copy, bytemuck), claimants and shortfalls (Anchor
//! accounts), token accounts and mints of either token program, and Pyth price updates.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, AccountSerialize, Discriminator};
use anchor_spl::token_2022::spl_token_2022::{
    extension::StateWithExtensions,
    state::{Account as TokenAccountState, Mint as MintState},
};
use insurance_fund::oracle::pyth;
use insurance_fund::state::{Claimant, Fund, Shortfall};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

/// Why an account's bytes are not what the caller expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("not a {kind} account: expected {expected} bytes, found {found}")]
    WrongSize {
        kind: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("not a {kind} account: its discriminator is another account type's")]
    WrongDiscriminator { kind: &'static str },
    #[error("not a valid {kind} account: {reason}")]
    Invalid { kind: &'static str, reason: String },
}

/// The `Fund` account as stored (size and discriminator checked). Boxed: 3.6 KiB.
pub fn fund(data: &[u8]) -> Result<Box<Fund>, DecodeError> {
    if data.len() != Fund::SPACE {
        return Err(DecodeError::WrongSize {
            kind: "Fund",
            expected: Fund::SPACE,
            found: data.len(),
        });
    }
    if &data[..8] != Fund::DISCRIMINATOR {
        return Err(DecodeError::WrongDiscriminator { kind: "Fund" });
    }
    // Account data carries no alignment guarantee: read unaligned.
    Ok(Box::new(bytemuck::pod_read_unaligned::<Fund>(&data[8..])))
}

/// A `Claimant` account (discriminator checked).
pub fn claimant(data: &[u8]) -> Result<Claimant, DecodeError> {
    anchor_account(data, "Claimant")
}

/// A `Shortfall` account (discriminator checked).
pub fn shortfall(data: &[u8]) -> Result<Shortfall, DecodeError> {
    anchor_account(data, "Shortfall")
}

fn anchor_account<T: AccountDeserialize + Discriminator>(
    data: &[u8],
    kind: &'static str,
) -> Result<T, DecodeError> {
    if !data.starts_with(T::DISCRIMINATOR) {
        return Err(DecodeError::WrongDiscriminator { kind });
    }
    T::try_deserialize(&mut &data[..]).map_err(|e| DecodeError::Invalid {
        kind,
        reason: e.to_string(),
    })
}

/// A token account (SPL Token or Token-2022, extensions allowed).
pub fn token_account(data: &[u8]) -> Result<TokenAccountState, DecodeError> {
    StateWithExtensions::<TokenAccountState>::unpack(data)
        .map(|s| s.base)
        .map_err(|e| DecodeError::Invalid {
            kind: "token account",
            reason: e.to_string(),
        })
}

/// A mint (SPL Token or Token-2022, extensions allowed).
pub fn mint(data: &[u8]) -> Result<MintState, DecodeError> {
    StateWithExtensions::<MintState>::unpack(data)
        .map(|s| s.base)
        .map_err(|e| DecodeError::Invalid {
            kind: "mint",
            reason: e.to_string(),
        })
}

/// A Pyth `PriceUpdateV2` account, read through the program's own mirror of the layout (so
/// the app reads exactly what the program reads).
pub fn price_update(data: &[u8]) -> Result<pyth::PriceUpdateV2, DecodeError> {
    pyth::PriceUpdateV2::decode(data).ok_or(DecodeError::Invalid {
        kind: "Pyth PriceUpdateV2",
        reason: "discriminator or layout mismatch".into(),
    })
}

/// One Pyth price as the receiver program would post it (for simulations and tests).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PythPrice {
    pub feed_id: [u8; 32],
    pub price: i64,
    pub conf: u64,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub expo: i32,
    pub publish_time: i64,
    /// `true`: `VerificationLevel::Full` (the only level the fund accepts).
    pub fully_verified: bool,
}

impl PythPrice {
    /// `price` with `expo`, EMA equal to spot, confidence `conf` on both, fully verified.
    pub fn new(feed_id: [u8; 32], price: i64, conf: u64, expo: i32, publish_time: i64) -> Self {
        Self {
            feed_id,
            price,
            conf,
            ema_price: price,
            ema_conf: conf,
            expo,
            publish_time,
            fully_verified: true,
        }
    }
}

/// The bytes of a `PriceUpdateV2` account holding `p`, serialized by the Pyth SDK itself.
pub fn encode_price_update(p: &PythPrice, write_authority: Pubkey, posted_slot: u64) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority,
        verification_level: if p.fully_verified {
            VerificationLevel::Full
        } else {
            VerificationLevel::Partial { num_signatures: 1 }
        },
        price_message: PriceFeedMessage {
            feed_id: p.feed_id,
            price: p.price,
            conf: p.conf,
            exponent: p.expo,
            publish_time: p.publish_time,
            prev_publish_time: p.publish_time.saturating_sub(1),
            ema_price: p.ema_price,
            ema_conf: p.ema_conf,
        },
        posted_slot,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update
        .try_serialize(&mut data)
        .expect("serializing into a Vec cannot fail");
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fund_rejects_wrong_size_and_discriminator() {
        assert!(matches!(
            fund(&[0u8; 10]),
            Err(DecodeError::WrongSize { .. })
        ));
        let zeros = vec![0u8; Fund::SPACE];
        assert_eq!(
            fund(&zeros).unwrap_err(),
            DecodeError::WrongDiscriminator { kind: "Fund" }
        );
        let mut ok = zeros;
        ok[..8].copy_from_slice(Fund::DISCRIMINATOR);
        ok[144] = 0x10; // min_liquid_bps low byte (offset 144 from the account start)
        assert_eq!(fund(&ok).unwrap().min_liquid_bps, 0x10);
    }

    #[test]
    fn price_update_round_trips_through_the_programs_mirror() {
        let p = PythPrice::new([7; 32], 123_456, 12, -5, 1_700_000_000);
        let data = encode_price_update(&p, Pubkey::new_from_array([3; 32]), 9);
        let back = price_update(&data).unwrap();
        assert_eq!(back.price_message.price, 123_456);
        assert_eq!(back.price_message.conf, 12);
        assert_eq!(back.price_message.exponent, -5);
        assert_eq!(back.price_message.feed_id, [7; 32]);
        assert_eq!(back.verification_level, pyth::VerificationLevel::Full);
        assert_eq!(back.posted_slot, 9);
    }
}
