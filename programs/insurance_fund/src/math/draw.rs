//! Draw sizing and the payout waterfall, free of Solana plumbing.
//!
//! Rounding: a payout of `value` from an asset is `amount_for_value_floor(value, upper)`
//! token atoms (never more tokens than the value is worth at the asset's upper price bound),
//! and the shortfall is credited `value_ceil(amount, upper)` (never less than the value paid,
//! and never more than `value`, a whole number at least the exact value paid). Each asset step
//! therefore under-pays the claimant by less than one token atom's worth, plus the gap between
//! the upper bound and the true price: at most the asset's max confidence (spot or EMA,
//! whichever is wider). Nothing rounds in the claimant's favour, so repeated draws cannot leak
//! value: the claim falls by at least what the claimant received, at every step.

use super::valuation::{amount_for_value_floor, value_ceil, MathError, Price};
use crate::constants::MAX_ASSETS;

/// Asset indices in payout order: liquid first, then yield-bearing, then illiquid; within a
/// class in asset order (the order governance registered them). Only `payable` assets
/// (draw-enabled, with a balance) appear.
pub fn waterfall_order(classes: &[u8], payable: &[bool]) -> ([usize; MAX_ASSETS], usize) {
    let mut order = [0usize; MAX_ASSETS];
    let mut n = 0;
    for class in 0..=2u8 {
        for (i, (c, p)) in classes.iter().zip(payable).enumerate().take(MAX_ASSETS) {
            if *c == class && *p && n < MAX_ASSETS {
                order[n] = i;
                n += 1;
            }
        }
    }
    (order, n)
}

/// One asset's part of a payout: up to `value_left` numeraire atoms from a vault holding
/// `balance` atoms, at the upper price. Returns `(amount, credited, exhausted)`: token atoms to
/// pay, value credited to the shortfall (rounded up, at most `value_left`), and whether the asset is used up (only
/// then may the waterfall move on to the next asset).
pub fn payout_floor(
    value_left: u128,
    price_hi: Price,
    decimals: u8,
    numeraire_decimals: u8,
    balance: u64,
) -> Result<(u64, u128, bool), MathError> {
    let wanted = match amount_for_value_floor(value_left, price_hi, decimals, numeraire_decimals) {
        Ok(a) => a,
        // more than u64 atoms are worth it: the whole balance is wanted
        Err(MathError::Overflow) if price_hi.mantissa > 0 => u64::MAX,
        Err(e) => return Err(e),
    };
    let amount = wanted.min(balance);
    let credited = value_ceil(amount, price_hi, decimals, numeraire_decimals)?;
    Ok((amount, credited.min(value_left), amount == balance))
}

/// The most a draw may pay now (numeraire atoms): the smallest of the request, what remains
/// of the shortfall, the claimant's per-shortfall, window and lifetime room, and the
/// fund-wide window room.
pub fn draw_limit(limits: &[u64]) -> u64 {
    limits.iter().copied().min().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_USD: Price = Price {
        mantissa: 1,
        expo: 0,
    };

    #[test]
    fn liquid_first_then_yield_then_illiquid_in_asset_order() {
        let classes = [2, 0, 1, 0, 1];
        let payable = [true, true, true, false, true];
        let (order, n) = waterfall_order(&classes, &payable);
        assert_eq!(&order[..n], &[1, 2, 4, 0]);
    }

    #[test]
    fn payout_never_exceeds_value_and_moves_on_only_when_exhausted() {
        // 100 USD wanted, 6-decimal token at 1.00: exactly 100 tokens, not exhausted
        let (a, c, done) = payout_floor(100_000_000, ONE_USD, 6, 6, 500_000_000).unwrap();
        assert_eq!((a, c, done), (100_000_000, 100_000_000, false));
        // only 40 held: all of it, exhausted
        let (a, c, done) = payout_floor(100_000_000, ONE_USD, 6, 6, 40_000_000).unwrap();
        assert_eq!((a, c, done), (40_000_000, 40_000_000, true));
        // at an upper price of 1.50 (expo -2), 100 USD buys 66.666666 tokens (rounded down)
        let p = Price {
            mantissa: 150,
            expo: -2,
        };
        let (a, c, _) = payout_floor(100_000_000, p, 6, 6, u64::MAX).unwrap();
        assert_eq!(a, 66_666_666);
        assert_eq!(c, 99_999_999);
        assert!(c <= 100_000_000);
    }

    #[test]
    fn the_credit_is_never_below_the_value_paid() {
        // an upper price of 1.00000003: 100 USD buys 99,999,997 atoms, worth
        // 99,999,999.99999991 numeraire atoms; the shortfall is credited the whole 100 USD
        let p = Price {
            mantissa: 100_000_003,
            expo: -8,
        };
        let (a, c, done) = payout_floor(100_000_000, p, 6, 6, u64::MAX).unwrap();
        assert_eq!((a, c, done), (99_999_997, 100_000_000, false));
        // an exact value is credited as is
        let (a, c, _) = payout_floor(100_000_000, ONE_USD, 6, 6, u64::MAX).unwrap();
        assert_eq!((a, c), (100_000_000, 100_000_000));
    }

    #[test]
    fn limit_is_the_smallest() {
        assert_eq!(draw_limit(&[5, 3, 9]), 3);
        assert_eq!(draw_limit(&[]), 0);
    }
}
