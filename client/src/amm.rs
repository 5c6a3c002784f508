//! SPL Token Swap 3.0.0, a constant-product AMM, from the host: its instructions, its pool
//! account, and a quote that computes a swap's output exactly as the program does.
//!
//! The crate itself cannot be a dependency here (its `solana-program` 1.x conflicts with
//! Anchor 1.2's), so the wire formats are encoded from its source (`instruction.rs`,
//! `state.rs`, `curve/{base,fees,constant_product}.rs`):
//! - `Initialize`: tag 0, the eight fee fields (u64 LE), the curve type (one byte; 0 is the
//!   constant product) and 32 bytes of curve parameters (none for the constant product).
//! - `Swap`: tag 1, `amount_in`, `minimum_amount_out` (u64 LE).
//! - The pool account: a version byte (1), then `SwapV1` (323 bytes).
//!
//! The tests route flash fills through the real program built from the published crate
//! (`tests/src/amm.rs`); the keeper uses [`quote_swap`] as its embedded quote source.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};

/// The program id the crate declares (`spl_token_swap::ID`).
pub const TOKEN_SWAP_PROGRAM_ID: Pubkey = pubkey!("SwapsVeCiPHMUAtzQWZw7RjsKjgCjhwU55QGu4U1Szw");

/// Bytes of a pool account: the version byte plus `SwapV1::LEN` (323).
pub const POOL_ACCOUNT_LEN: usize = 324;

/// `CurveType::ConstantProduct`.
pub const CURVE_CONSTANT_PRODUCT: u8 = 0;

/// Pool tokens the program mints to the depositor at `Initialize` (`INITIAL_SWAP_POOL_AMOUNT`).
pub const INITIAL_POOL_TOKENS: u64 = 1_000_000_000;

/// The pool's fees, each a fraction `numerator / denominator` (both 0 means none; otherwise
/// the program requires `numerator < denominator`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fees {
    /// Kept in the pool's reserves (the liquidity providers' fee), on the input.
    pub trade_fee_numerator: u64,
    pub trade_fee_denominator: u64,
    /// Also taken from the input into the reserves; its value is minted as pool tokens to the
    /// pool's fee account.
    pub owner_trade_fee_numerator: u64,
    pub owner_trade_fee_denominator: u64,
    pub owner_withdraw_fee_numerator: u64,
    pub owner_withdraw_fee_denominator: u64,
    /// Share of the owner's pool tokens sent to a host fee account, when the swap names one.
    pub host_fee_numerator: u64,
    pub host_fee_denominator: u64,
}

impl Fees {
    /// The program's 64-byte layout: the eight fields in declaration order, u64 LE.
    pub fn pack(&self) -> [u8; 64] {
        let fields = [
            self.trade_fee_numerator,
            self.trade_fee_denominator,
            self.owner_trade_fee_numerator,
            self.owner_trade_fee_denominator,
            self.owner_withdraw_fee_numerator,
            self.owner_withdraw_fee_denominator,
            self.host_fee_numerator,
            self.host_fee_denominator,
        ];
        let mut out = [0u8; 64];
        for (chunk, v) in out.chunks_exact_mut(8).zip(fields) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads the 64-byte layout back.
    pub fn unpack(data: &[u8; 64]) -> Self {
        let f = |k: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[8 * k..8 * k + 8]);
            u64::from_le_bytes(b)
        };
        Self {
            trade_fee_numerator: f(0),
            trade_fee_denominator: f(1),
            owner_trade_fee_numerator: f(2),
            owner_trade_fee_denominator: f(3),
            owner_withdraw_fee_numerator: f(4),
            owner_withdraw_fee_denominator: f(5),
            host_fee_numerator: f(6),
            host_fee_denominator: f(7),
        }
    }
}

/// The accounts of a pool, as `Initialize` records them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolKeys {
    /// The pool account (owned by the swap program).
    pub swap: Pubkey,
    /// `find_program_address([swap], program)`: owns both reserves and the pool mint.
    pub authority: Pubkey,
    /// The reserve accounts of token A and token B.
    pub token_a: Pubkey,
    pub token_b: Pubkey,
    pub pool_mint: Pubkey,
    /// Receives the owner's trade fee, in pool tokens.
    pub fee_account: Pubkey,
    /// SPL Token (3.0.0 calls `spl_token` 3.x only; Token-2022 mints are not supported).
    pub token_program: Pubkey,
}

/// The pool's authority and its bump: `find_program_address([swap], TOKEN_SWAP_PROGRAM_ID)`.
pub fn pool_authority(swap: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[swap.as_ref()], &TOKEN_SWAP_PROGRAM_ID)
}

/// `Initialize` with the constant-product curve and `fees`. `swap` must sign (a new account
/// of [`POOL_ACCOUNT_LEN`] bytes owned by the program); both reserves must be owned by the
/// authority and non-empty; the pool mint's authority is the pool authority, its supply 0
/// and no freeze authority; `destination` (not the authority's) receives
/// [`INITIAL_POOL_TOKENS`].
pub fn initialize_ix(pool: &PoolKeys, destination: &Pubkey, fees: &Fees) -> Instruction {
    let mut data = Vec::with_capacity(1 + 64 + 33);
    data.push(0);
    data.extend_from_slice(&fees.pack());
    data.push(CURVE_CONSTANT_PRODUCT);
    data.extend_from_slice(&[0u8; 32]);
    Instruction {
        program_id: TOKEN_SWAP_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(pool.swap, true),
            AccountMeta::new_readonly(pool.authority, false),
            AccountMeta::new_readonly(pool.token_a, false),
            AccountMeta::new_readonly(pool.token_b, false),
            AccountMeta::new(pool.pool_mint, false),
            AccountMeta::new_readonly(pool.fee_account, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(pool.token_program, false),
        ],
        data,
    }
}

/// Which way a swap goes through the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Token A in, token B out.
    AToB,
    /// Token B in, token A out.
    BToA,
}

/// `Swap`: `user` (signer) pays at most `amount_in` of the input token from `source` and
/// the pool sends the output to `destination` (any token account of the output mint, e.g.
/// a fund's vault), failing with `ExceededSlippage` (custom error 16) below
/// `minimum_amount_out`. No host fee account is passed.
pub fn swap_ix(
    pool: &PoolKeys,
    direction: Direction,
    user: &Pubkey,
    source: &Pubkey,
    destination: &Pubkey,
    amount_in: u64,
    minimum_amount_out: u64,
) -> Instruction {
    let (swap_source, swap_destination) = match direction {
        Direction::AToB => (pool.token_a, pool.token_b),
        Direction::BToA => (pool.token_b, pool.token_a),
    };
    let mut data = Vec::with_capacity(17);
    data.push(1);
    data.extend_from_slice(&amount_in.to_le_bytes());
    data.extend_from_slice(&minimum_amount_out.to_le_bytes());
    Instruction {
        program_id: TOKEN_SWAP_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new_readonly(pool.swap, false),
            AccountMeta::new_readonly(pool.authority, false),
            AccountMeta::new_readonly(*user, true),
            AccountMeta::new(*source, false),
            AccountMeta::new(swap_source, false),
            AccountMeta::new(swap_destination, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new(pool.pool_mint, false),
            AccountMeta::new(pool.fee_account, false),
            AccountMeta::new_readonly(pool.token_program, false),
        ],
        data,
    }
}

/// The token-swap program's error codes the callers here meet (`SwapError` as
/// `ProgramError::Custom`).
pub mod error {
    /// The output is below `minimum_amount_out`.
    pub const EXCEEDED_SLIPPAGE: u32 = 16;
    /// The swap would return nothing (or the input is too small to trade).
    pub const ZERO_TRADING_TOKENS: u32 = 20;
}

/// A pool account, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolState {
    pub keys: PoolKeys,
    pub bump: u8,
    pub token_a_mint: Pubkey,
    pub token_b_mint: Pubkey,
    pub fees: Fees,
    pub curve_type: u8,
}

/// Decodes a pool account (`SwapVersion::SwapV1`); `None` unless it is an initialized
/// version-1 pool of exactly [`POOL_ACCOUNT_LEN`] bytes.
pub fn decode_pool(swap: &Pubkey, data: &[u8]) -> Option<PoolState> {
    if data.len() != POOL_ACCOUNT_LEN || data[0] != 1 || data[1] != 1 {
        return None;
    }
    let key = |at: usize| Pubkey::try_from(&data[at..at + 32]).ok();
    // version, is_initialized, bump, then seven keys from offset 3
    let mut fees = [0u8; 64];
    fees.copy_from_slice(&data[227..291]);
    Some(PoolState {
        keys: PoolKeys {
            swap: *swap,
            authority: Pubkey::create_program_address(
                &[swap.as_ref(), &[data[2]]],
                &TOKEN_SWAP_PROGRAM_ID,
            )
            .ok()?,
            token_program: key(3)?,
            token_a: key(35)?,
            token_b: key(67)?,
            pool_mint: key(99)?,
            fee_account: key(195)?,
        },
        bump: data[2],
        token_a_mint: key(131)?,
        token_b_mint: key(163)?,
        fees: Fees::unpack(&fees),
        curve_type: data[291],
    })
}

/// What a swap moves, as the program computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapQuote {
    /// Taken from the user's source account: `amount_in`, or a little less when the
    /// constant-product rounding needs less to reach the same output.
    pub source_taken: u64,
    /// Sent to the destination.
    pub amount_out: u64,
    /// The liquidity providers' fee, kept in the input reserve.
    pub trade_fee: u64,
    /// The owner's fee, kept in the input reserve (minted to the fee account as pool tokens).
    pub owner_fee: u64,
}

/// `token_amount * numerator / denominator` rounded down, with the program's minimum of one
/// atom when a non-zero fee rounds to zero (`curve/fees.rs: calculate_fee`); `None` on a zero
/// denominator under a non-zero numerator.
fn fee_floor_min_one(token_amount: u128, numerator: u64, denominator: u64) -> Option<u128> {
    if numerator == 0 || token_amount == 0 {
        return Some(0);
    }
    let fee = token_amount
        .checked_mul(u128::from(numerator))?
        .checked_div(u128::from(denominator))?;
    Some(fee.max(1))
}

/// `(ceil(dividend / divisor), dividend / that quotient rounded up)`: the program's
/// `checked_ceil_div`, which also lowers the divisor to the least one giving that quotient;
/// `None` when the quotient rounds down to 0.
fn ceil_div_adjusted(dividend: u128, divisor: u128) -> Option<(u128, u128)> {
    let mut quotient = dividend.checked_div(divisor)?;
    if quotient == 0 {
        return None;
    }
    let mut divisor = divisor;
    if dividend.checked_rem(divisor)? > 0 {
        quotient = quotient.checked_add(1)?;
        divisor = dividend.checked_div(quotient)?;
        if dividend.checked_rem(quotient)? > 0 {
            divisor = divisor.checked_add(1)?;
        }
    }
    Some((quotient, divisor))
}

/// The output of swapping `amount_in` into a constant-product pool holding `reserve_in` of
/// the input token and `reserve_out` of the output token, with `fees`, exactly as
/// `Processor::process_swap` computes it (`SwapCurve::swap` with `ConstantProductCurve`):
/// 1. `trade_fee` and `owner_fee` on `amount_in`, each rounded down but at least 1 when
///    non-zero;
/// 2. `invariant = reserve_in * reserve_out`; the input less both fees joins the reserve;
///    the new output reserve is `ceil(invariant / new_reserve_in)`, and the input actually
///    used is lowered to the least that still gives that reserve;
/// 3. `amount_out = reserve_out - new_reserve_out`; `source_taken` = input used + fees.
///
/// `None` where the program fails with `ZeroTradingTokens` (nothing out, fees above the
/// input, an empty reserve) or a calculation overflows.
pub fn quote_swap(
    amount_in: u64,
    reserve_in: u64,
    reserve_out: u64,
    fees: &Fees,
) -> Option<SwapQuote> {
    let amount = u128::from(amount_in);
    let (r_in, r_out) = (u128::from(reserve_in), u128::from(reserve_out));
    let trade_fee =
        fee_floor_min_one(amount, fees.trade_fee_numerator, fees.trade_fee_denominator)?;
    let owner_fee = fee_floor_min_one(
        amount,
        fees.owner_trade_fee_numerator,
        fees.owner_trade_fee_denominator,
    )?;
    let total_fees = trade_fee.checked_add(owner_fee)?;
    let amount_less_fees = amount.checked_sub(total_fees)?;
    let invariant = r_in.checked_mul(r_out)?;
    let (new_r_out, new_r_in) = ceil_div_adjusted(invariant, r_in.checked_add(amount_less_fees)?)?;
    let used = new_r_in.checked_sub(r_in)?;
    let amount_out = r_out.checked_sub(new_r_out)?;
    if amount_out == 0 {
        return None;
    }
    Some(SwapQuote {
        source_taken: u64::try_from(used.checked_add(total_fees)?).ok()?,
        amount_out: u64::try_from(amount_out).ok()?,
        trade_fee: u64::try_from(trade_fee).ok()?,
        owner_fee: u64::try_from(owner_fee).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade_fee(n: u64, d: u64) -> Fees {
        Fees {
            trade_fee_numerator: n,
            trade_fee_denominator: d,
            ..Fees::default()
        }
    }

    #[test]
    fn quote_matches_the_worked_example_of_the_program() {
        // SPL issue 341's example (reserves 1,000 / 50,000, 1 % trade fee, 100 in): the fee
        // rounds to 1, 99 joins the reserve, ceil(50,000,000 / 1,099) = 45,496 stays
        let q = quote_swap(100, 1_000, 50_000, &trade_fee(1, 100)).unwrap();
        assert_eq!(
            q,
            SwapQuote {
                source_taken: 100,
                amount_out: 4_504,
                trade_fee: 1,
                owner_fee: 0,
            }
        );
    }

    #[test]
    fn fees_round_down_with_a_minimum_of_one_atom() {
        let f = Fees {
            trade_fee_numerator: 25,
            trade_fee_denominator: 10_000,
            owner_trade_fee_numerator: 5,
            owner_trade_fee_denominator: 10_000,
            ..Fees::default()
        };
        // 10,000 in: 25 and 5 exactly; 100 in: 0.25 and 0.05 both become 1
        let big = quote_swap(10_000, 1_000_000, 1_000_000, &f).unwrap();
        assert_eq!((big.trade_fee, big.owner_fee), (25, 5));
        let small = quote_swap(100, 1_000_000, 1_000_000, &f).unwrap();
        assert_eq!((small.trade_fee, small.owner_fee), (1, 1));
        // 98 joins a 1,000,000 reserve: ceil(10^12 / 1,000,098) = 999,903, out 97
        assert_eq!(small.amount_out, 97);
    }

    #[test]
    fn the_input_used_is_lowered_to_the_least_giving_the_same_output() {
        // reserves 10 / 10, no fee, 3 in: ceil(100 / 13) = 8 (out 2), and 100 / 8 rounded
        // up is 13, so all 3 are used; 4 in: ceil(100 / 14) = 8 as well, so only 3 are taken
        let none = Fees::default();
        let q3 = quote_swap(3, 10, 10, &none).unwrap();
        assert_eq!((q3.source_taken, q3.amount_out), (3, 2));
        let q4 = quote_swap(4, 10, 10, &none).unwrap();
        assert_eq!((q4.source_taken, q4.amount_out), (3, 2));
    }

    #[test]
    fn no_output_is_none() {
        // 1 in against 10 / 10: ceil(100 / 11) = 10, nothing out
        assert_eq!(quote_swap(1, 10, 10, &Fees::default()), None);
        // the fee eats the whole input
        assert_eq!(quote_swap(1, 10, 10, &trade_fee(1, 2)), None);
        assert_eq!(quote_swap(5, 0, 10, &Fees::default()), None);
    }

    #[test]
    fn output_never_exceeds_the_fee_free_constant_product() {
        let f = trade_fee(30, 10_000);
        for (a, r_in, r_out) in [
            (1_000_000u64, 10_000_000_000u64, 20_000_000_000u64),
            (7_777_777, 123_456_789, 987_654_321),
            (u64::MAX / 4, u64::MAX / 2, u64::MAX / 2),
        ] {
            let q = quote_swap(a, r_in, r_out, &f).unwrap();
            let ideal = u128::from(r_out) * u128::from(a) / (u128::from(r_in) + u128::from(a));
            assert!(u128::from(q.amount_out) <= ideal);
            assert!(q.source_taken <= a);
            // the invariant never falls
            let k0 = u128::from(r_in) * u128::from(r_out);
            let k1 = (u128::from(r_in) + u128::from(q.source_taken))
                * (u128::from(r_out) - u128::from(q.amount_out));
            assert!(k1 >= k0);
        }
    }

    #[test]
    fn encodings_have_the_program_layout() {
        let f = Fees {
            trade_fee_numerator: 1,
            trade_fee_denominator: 2,
            owner_trade_fee_numerator: 3,
            owner_trade_fee_denominator: 4,
            owner_withdraw_fee_numerator: 5,
            owner_withdraw_fee_denominator: 6,
            host_fee_numerator: 7,
            host_fee_denominator: 8,
        };
        let packed = f.pack();
        assert_eq!(&packed[0..8], &1u64.to_le_bytes());
        assert_eq!(&packed[56..64], &8u64.to_le_bytes());
        assert_eq!(Fees::unpack(&packed), f);
        let (authority, _) = pool_authority(&Pubkey::new_unique());
        let keys = PoolKeys {
            swap: Pubkey::new_unique(),
            authority,
            token_a: Pubkey::new_unique(),
            token_b: Pubkey::new_unique(),
            pool_mint: Pubkey::new_unique(),
            fee_account: Pubkey::new_unique(),
            token_program: anchor_spl::token::ID,
        };
        let init = initialize_ix(&keys, &Pubkey::new_unique(), &f);
        assert_eq!(init.data.len(), 98);
        assert_eq!((init.data[0], init.data[65]), (0, CURVE_CONSTANT_PRODUCT));
        assert_eq!(&init.data[1..65], &packed[..]);
        let user = Pubkey::new_unique();
        let swap = swap_ix(&keys, Direction::BToA, &user, &keys.swap, &keys.swap, 5, 6);
        assert_eq!(swap.data[0], 1);
        assert_eq!(&swap.data[1..9], &5u64.to_le_bytes());
        assert_eq!(&swap.data[9..17], &6u64.to_le_bytes());
        // B to A: the pool's B reserve receives, its A reserve pays
        assert_eq!(swap.accounts[4].pubkey, keys.token_b);
        assert_eq!(swap.accounts[5].pubkey, keys.token_a);
        assert!(swap.accounts[2].is_signer);
    }
}
