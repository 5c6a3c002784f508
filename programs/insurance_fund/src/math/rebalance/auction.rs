//! The Dutch auction: the premium over time, when a pair's auction has started, and whether
//! the premium can cover a haircut.

use super::*;

/// Auction parameters (validated by governance setters elsewhere; every function here treats
/// any values safely).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuctionParams {
    /// Half-width of the no-trade band around each target, bps.
    pub band_bps: u16,
    /// Premium at the start of each auction cycle, bps.
    pub start_premium_bps: u16,
    /// Premium the auction rises toward, bps.
    pub max_premium_bps: u16,
    /// Length of one auction cycle, seconds.
    pub duration_secs: u32,
}

/// An over- or under-band clock (`over_since`, `under_since`: a pair's auction starts at the
/// later of its two) after a sync or a fill: kept while the condition holds, started when it
/// begins, cleared when it ends.
pub fn next_clock(since: i64, holds: bool, now: i64) -> i64 {
    match (holds, since) {
        (false, _) => 0,
        (true, 0) => now,
        (true, s) => s,
    }
}

/// Premium a fill earns `elapsed` seconds after its auction started, in bps, rounded down:
///
/// `start + floor((max - start) * (elapsed mod duration) / duration)`
///
/// It rises linearly from `start_premium_bps` toward `max_premium_bps` over `duration_secs`,
/// then the auction restarts (sawtooth). `elapsed < 0`, `duration_secs == 0` or
/// `max_premium_bps <= start_premium_bps` give `start_premium_bps`.
///
/// Bound: `start <= result <= max(start, max)`, and `result < max` whenever `max > start`
/// (the cycle restarts at `elapsed == duration`, so the maximum itself is approached, never
/// paid). Rounding: `exact - 1 < result <= exact` (the fund's favour).
pub fn premium_bps_floor(p: &AuctionParams, elapsed: i64) -> u16 {
    let start = p.start_premium_bps;
    let Ok(elapsed) = u64::try_from(elapsed) else {
        return start;
    };
    let Some(phase) = elapsed.checked_rem(u64::from(p.duration_secs)) else {
        return start; // duration 0
    };
    let Some(span) = p.max_premium_bps.checked_sub(start) else {
        return start; // max < start
    };
    // span * phase < 2^16 * 2^32 fits u64; phase < duration, so rise < span and
    // start + rise < max <= u16::MAX. The fallbacks are unreachable.
    let rise = u64::from(span)
        .checked_mul(phase)
        .and_then(|x| x.checked_div(u64::from(p.duration_secs)))
        .and_then(|x| u16::try_from(x).ok())
        .unwrap_or(0);
    start.checked_add(rise).unwrap_or(start)
}

/// Whether a keeper delivering an asset with `haircut_bps` can ever profit at a premium
/// approaching `max_premium_bps`, before price bands and fees: a fill books
/// `(1 - haircut)` of what arrives and pays that times `(1 + premium)`, so it needs
/// `(1 - h)(1 + p) > 1`, i.e. `p * (10_000 - h) > h * 10_000` in bps (exact in `u32`).
/// A haircut of 0 is always covered; a haircut of 10,000 bps (or more) never is. Monotone:
/// a haircut covered at some premium is covered at every larger premium, and every smaller
/// haircut is covered at the same premium (so checking the largest checks them all).
pub fn premium_covers_haircut(max_premium_bps: u16, haircut_bps: u16) -> bool {
    let kept = u32::from(BPS_DENOMINATOR.saturating_sub(haircut_bps));
    haircut_bps == 0
        || u32::from(max_premium_bps).saturating_mul(kept)
            > u32::from(haircut_bps).saturating_mul(u32::from(BPS_DENOMINATOR))
}

/// Whether the auction of an open pair has started: at least one side is beyond its band,
/// and every side that is has its clock running (`sync_auctions` has seen it). The clocks
/// are `o`'s `over_since` and `i`'s `under_since` (0 = not running); `beyond` is
/// `(out_over_band, in_under_band)` from `pair_eligibility` (or `FillCheck`). The premium
/// runs from the later of the two clocks, so a clock left from an earlier sync only lowers it.
pub fn auction_started(out_over_since: i64, in_under_since: i64, beyond: (bool, bool)) -> bool {
    let (out_over_band, in_under_band) = beyond;
    // a pair with neither side beyond its band is not open, so it has no auction
    (out_over_band || in_under_band)
        && (!out_over_band || out_over_since != 0)
        && (!in_under_band || in_under_since != 0)
}

/// How far a take on crisis terms moves its pair's auction clocks later, in seconds: in
/// proportion to what it takes from what the fund wants to sell,
///
/// `ceil(duration * value_in * CRISIS_SET_BACK_BPS / (10_000 * excess))`, at most `duration`,
///
/// `excess` being the out-asset's value above its target before the take (`value_out -
/// ceil(target_bps * nav / 10_000)`). A take of the whole excess moves the auction back by
/// three quarters of its length; keepers taking about `excess * 4 / 3` per auction length
/// keep the sale price where it is, taking less lets it fall. With no excess (a retired
/// asset's buy-out, or a target the valuation rounds to the whole value) the whole length.
///
/// Rounding: up, and the excess down (its target rounded up): a later clock is a higher sale
/// price, the fund's favour. Never fails: every product fits `u128` (`duration < 2^32`,
/// `value_in < 2^64`, the rate `< 2^14`), and `ceil(ceil(a / b) / c) = ceil(a / (b c))`
/// avoids multiplying the excess.
pub fn crisis_set_back_ceil(
    duration_secs: u32,
    value_in: u64,
    value_out: u128,
    target_bps: u16,
    nav: u128,
) -> i64 {
    let duration = u128::from(duration_secs);
    let target_value_ceil = nav
        .checked_mul(u128::from(target_bps))
        .map(|x| x.div_ceil(u128::from(BPS_DENOMINATOR)))
        .unwrap_or(u128::MAX);
    let excess = value_out.saturating_sub(target_value_ceil);
    let secs = if excess == 0 {
        duration
    } else {
        (duration * u128::from(value_in) * u128::from(CRISIS_SET_BACK_BPS))
            .div_ceil(u128::from(BPS_DENOMINATOR))
            .div_ceil(excess)
            .min(duration)
    };
    i64::try_from(secs).unwrap_or(i64::MAX)
}
