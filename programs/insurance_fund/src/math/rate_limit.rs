//! Leaky buckets: the rate limits on rebalance volume and premium and on draws (fund-wide and per claimant).
//!
//! A bucket holds a level that drains linearly at `capacity` per `window_secs`; an action of
//! size `x` is allowed when `drained_level + x <= capacity`. Unlike fixed windows, nothing
//! resets at a boundary, so no burst of twice the capacity straddles two windows.

use super::valuation::MathError;

/// The level after `elapsed` seconds of draining. The drain is rounded down, so the level
/// (and therefore what is counted against the cap) is rounded up: the fund's favour.
pub fn drained_level_ceil(level: u64, capacity: u64, window_secs: u32, elapsed: i64) -> u64 {
    if elapsed <= 0 || window_secs == 0 {
        return level;
    }
    let drain = u128::from(capacity)
        .saturating_mul(elapsed as u128)
        .checked_div(u128::from(window_secs))
        .unwrap_or(0);
    u128::from(level).saturating_sub(drain) as u64
}

/// Adds `amount` to a drained bucket, or `None` if that would exceed `capacity`.
pub fn try_fill(drained: u64, amount: u64, capacity: u64) -> Result<Option<u64>, MathError> {
    let next = drained.checked_add(amount).ok_or(MathError::Overflow)?;
    Ok((next <= capacity).then_some(next))
}

/// Drains a bucket for `elapsed` seconds and adds `amount`: the new level, or `None` if it
/// would exceed `capacity`.
pub fn take(
    level: u64,
    capacity: u64,
    window_secs: u32,
    elapsed: i64,
    amount: u64,
) -> Result<Option<u64>, MathError> {
    try_fill(
        drained_level_ceil(level, capacity, window_secs, elapsed),
        amount,
        capacity,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_linearly_and_rounds_the_level_up() {
        assert_eq!(drained_level_ceil(1_000, 1_000, 100, 0), 1_000);
        assert_eq!(drained_level_ceil(1_000, 1_000, 100, 50), 500);
        // 1,000 * 33 / 100 = 330 drained exactly; 1,000 * 1 / 3 rounds the drain down
        assert_eq!(drained_level_ceil(1_000, 1_000, 100, 33), 670);
        assert_eq!(drained_level_ceil(10, 1, 3, 1), 10);
        assert_eq!(drained_level_ceil(1_000, 1_000, 100, 1_000), 0);
        assert_eq!(drained_level_ceil(u64::MAX, u64::MAX, 1, i64::MAX), 0);
        assert_eq!(drained_level_ceil(5, 10, 100, -5), 5);
    }

    #[test]
    fn fills_up_to_capacity_exactly() {
        assert_eq!(try_fill(600, 400, 1_000), Ok(Some(1_000)));
        assert_eq!(try_fill(600, 401, 1_000), Ok(None));
        assert_eq!(try_fill(u64::MAX, 1, u64::MAX), Err(MathError::Overflow));
    }
}
