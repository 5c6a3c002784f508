//! Program-derived addresses, from the seeds in `insurance_fund::state::seeds`.

use anchor_lang::prelude::Pubkey;
use insurance_fund::state::seeds;

/// `["fund", create_key]`.
pub fn fund_address(create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[seeds::SEED_FUND, create_key.as_ref()],
        &insurance_fund::ID,
    )
    .0
}

/// `["vault", fund, mint]`.
pub fn vault_address(fund: &Pubkey, mint: &Pubkey) -> Pubkey {
    vault_address_and_bump(fund, mint).0
}

/// `["vault", fund, mint]` and its bump (what `add_asset` stores as `Asset::vault_bump`).
pub fn vault_address_and_bump(fund: &Pubkey, mint: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::SEED_VAULT, fund.as_ref(), mint.as_ref()],
        &insurance_fund::ID,
    )
}

/// `["claimant", fund, authority]`.
pub fn claimant_address(fund: &Pubkey, authority: &Pubkey) -> Pubkey {
    claimant_address_and_bump(fund, authority).0
}

/// `["claimant", fund, authority]` and its bump (what `register_claimant` stores as
/// `Claimant::bump`).
pub fn claimant_address_and_bump(fund: &Pubkey, authority: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::SEED_CLAIMANT, fund.as_ref(), authority.as_ref()],
        &insurance_fund::ID,
    )
}

/// `["shortfall", fund, id as u64 little-endian]`.
pub fn shortfall_address(fund: &Pubkey, id: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[seeds::SEED_SHORTFALL, fund.as_ref(), &id.to_le_bytes()],
        &insurance_fund::ID,
    )
    .0
}

/// The Pyth push-oracle price feed account of `feed_id` on `shard` (shard 0 is the one Pyth
/// keeps updated on mainnet and devnet): PDA `[shard as u16 LE, feed_id]` of the push-oracle
/// program.
pub fn pyth_push_feed_address(shard: u16, feed_id: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(
        &[&shard.to_le_bytes(), feed_id.as_ref()],
        &pyth_solana_receiver_sdk::PYTH_PUSH_ORACLE_ID,
    )
    .0
}

/// The associated token account of `owner` for `mint` under `token_program`.
pub fn associated_token_address(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &crate::ix::ASSOCIATED_TOKEN_PROGRAM_ID,
    )
    .0
}

/// `["change", fund, sha256(borsh(change))]`: where `queue_change` records `change`.
pub fn pending_change_address(
    fund: &Pubkey,
    change: &insurance_fund::timelock::ConfigChange,
) -> Pubkey {
    let hash = change.hash().expect("a ConfigChange always serializes");
    Pubkey::find_program_address(
        &[seeds::SEED_CHANGE, fund.as_ref(), &hash],
        &insurance_fund::ID,
    )
    .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_and_deterministic() {
        let ck = Pubkey::new_from_array([1; 32]);
        let fund = fund_address(&ck);
        assert_eq!(fund, fund_address(&ck));
        let mint = Pubkey::new_from_array([2; 32]);
        assert_ne!(vault_address(&fund, &mint), vault_address(&fund, &ck));
        assert_ne!(shortfall_address(&fund, 0), shortfall_address(&fund, 1));
        assert_ne!(claimant_address(&fund, &ck), fund);
    }
}
