//! The simulated market around the fund: each asset's market price path (random walk times
//! the scenario's shocks and replays), its price feed (faults included), and the
//! constant-product pool through which the atomic keeper and the DEX baseline trade.
//!
//! Everything here is off-chain modelling in `f64`; nothing in it is a rule of the program.

use crate::scenario::{FaultKind, Scenario};

/// A constant-product pool of one asset against a perfect dollar, `x * y = k`, re-centred on
/// the market price every step (arbitrage), with a fee taken from what goes in.
#[derive(Clone, Copy, Debug)]
pub struct Pool {
    /// Asset units (whole tokens) in the pool.
    pub x: f64,
    /// Dollars in the pool.
    pub y: f64,
    pub fee: f64,
    /// Depth 0: the currency every other pool quotes in (the numeraire's stablecoin): no
    /// curve and no fee, its leg of a keeper's route being the other pool's own quote side.
    pub flat: bool,
    pub price: f64,
}

impl Pool {
    /// A pool at `price` holding `depth` dollars on each side; depth 0: the quote currency,
    /// traded at `price` without a fee (a swap of another asset into it pays that asset's
    /// pool fee once, not a second time for this leg).
    pub fn new(price: f64, depth: f64, fee_bps: u16) -> Self {
        let fee = f64::from(fee_bps) / 10_000.0;
        if depth <= 0.0 {
            return Self {
                x: 0.0,
                y: 0.0,
                fee: 0.0,
                flat: true,
                price,
            };
        }
        Self {
            x: depth / price,
            y: depth,
            fee,
            flat: false,
            price,
        }
    }

    /// Dollars received for selling `units` of the asset.
    pub fn sell_quote(&self, units: f64) -> f64 {
        let net = units * (1.0 - self.fee);
        if self.flat {
            return net * self.price;
        }
        self.y * net / (self.x + net)
    }

    /// Dollars needed to buy `units` of the asset (infinite at or beyond the pool's holdings).
    pub fn buy_cost(&self, units: f64) -> f64 {
        if self.flat {
            return units * self.price / (1.0 - self.fee);
        }
        if units >= self.x {
            return f64::INFINITY;
        }
        self.y * units / (self.x - units) / (1.0 - self.fee)
    }

    /// Executes a sale of `units`; returns the dollars received.
    pub fn sell(&mut self, units: f64) -> f64 {
        let out = self.sell_quote(units);
        if !self.flat {
            self.x += units * (1.0 - self.fee);
            self.y -= out;
        }
        out
    }

    /// Executes a purchase of `units`; returns the dollars paid.
    pub fn buy(&mut self, units: f64) -> f64 {
        let cost = self.buy_cost(units);
        if !self.flat && cost.is_finite() {
            self.y += cost * (1.0 - self.fee);
            self.x -= units;
        }
        cost
    }
}

/// The per-path draws of the scenario's shocks (`move + move_sd * z`).
#[derive(Clone, Debug, Default)]
pub struct ShockDraws {
    pub moves: Vec<f64>,
}

impl ShockDraws {
    pub fn draw(s: &Scenario, mut normal: impl FnMut() -> f64) -> Self {
        Self {
            moves: s
                .shocks
                .iter()
                .map(|sh| {
                    if sh.move_sd > 0.0 {
                        (sh.move_ + sh.move_sd * normal()).clamp(-0.9, 9.0)
                    } else {
                        sh.move_
                    }
                })
                .collect(),
        }
    }
}

/// How much of a shock is in force `elapsed` days after it: 1 while it holds, then falling
/// linearly to 0 over `recover_days` (0 and 0: for ever; 0 with a hold: it ends at once).
fn shock_weight(hold_days: f64, recover_days: f64, elapsed: f64) -> f64 {
    if elapsed < hold_days || (hold_days == 0.0 && recover_days == 0.0) {
        return 1.0;
    }
    if recover_days == 0.0 {
        return 0.0;
    }
    (1.0 - (elapsed - hold_days) / recover_days).max(0.0)
}

/// The multiplicative factor of a replay's daily moves `elapsed` days in: each day's move
/// compounded, log-linear within the day; the last level holds.
fn replay_factor(daily: &[f64], elapsed: f64) -> f64 {
    let mut level: f64 = 1.0;
    for (d, m) in daily.iter().enumerate() {
        let into = (elapsed - d as f64).clamp(0.0, 1.0);
        if into <= 0.0 {
            break;
        }
        level *= (1.0 + m).powf(into);
    }
    level
}

/// (price factor, pool depth factor) of asset `name` at `day`.
pub fn shock_factors(s: &Scenario, draws: &ShockDraws, name: &str, day: f64) -> (f64, f64) {
    let mut price = 1.0;
    let mut depth = 1.0;
    for (k, sh) in s.shocks.iter().enumerate() {
        if sh.asset != name || day < sh.day {
            continue;
        }
        let elapsed = day - sh.day;
        let w = shock_weight(sh.hold_days, sh.recover_days, elapsed);
        let mv = draws.moves.get(k).copied().unwrap_or(sh.move_);
        price *= 1.0 + mv * w;
        if !sh.daily.is_empty() {
            price *= replay_factor(&sh.daily, elapsed);
        }
        depth *= 1.0 + (sh.depth - 1.0) * w;
    }
    (price, depth)
}

/// The state of asset `name`'s feed at `day`: `None` when it publishes normally,
/// `Some(Halt)` when it publishes nothing, `Some(Confidence(bps))` when its confidence is
/// blown out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FeedState {
    Normal,
    Halted,
    Confidence(f64),
}

pub fn feed_state(s: &Scenario, name: &str, day: f64) -> FeedState {
    let mut state = FeedState::Normal;
    for f in &s.oracle_faults {
        if f.asset == name && day >= f.day && day < f.day + f.hours / 24.0 {
            state = match f.kind {
                FaultKind::Halt => FeedState::Halted,
                FaultKind::Confidence if state != FeedState::Halted => {
                    FeedState::Confidence(f.conf_bps)
                }
                FaultKind::Confidence => state,
            };
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_charges_its_fee_and_its_slippage() {
        let p = Pool::new(100.0, 1_000_000.0, 30);
        // a tiny sale: the fee only
        let got = p.sell_quote(0.01);
        assert!((got / 1.0 - (1.0 - 0.003)).abs() < 1e-5, "{got}");
        // selling 10 % of the pool's units costs about 10 % more
        let units = 1_000.0;
        let got = p.sell_quote(units);
        let mid = units * 100.0;
        assert!(
            got < mid * 0.997 / 1.09 && got > mid * 0.997 / 1.11,
            "{got}"
        );
        // buy and sell are consistent: buying back what a sale gave costs more than it got
        assert!(p.buy_cost(units) > mid);
        let mut q = p;
        let y = q.sell(units);
        assert!((q.x * q.y - 1e4 * 1e6).abs() / 1e10 < 0.01 && y > 0.0);
    }

    #[test]
    fn the_quote_currency_trades_at_its_price_without_a_fee() {
        let p = Pool::new(1.0, 0.0, 5);
        assert!(p.flat);
        assert_eq!(p.sell_quote(1_000.0), 1_000.0);
        assert_eq!(p.buy_cost(1_000.0), 1_000.0);
    }

    #[test]
    fn shocks_hold_recover_and_replay() {
        assert_eq!(shock_weight(0.0, 0.0, 5.0), 1.0);
        assert_eq!(shock_weight(2.0, 0.0, 1.0), 1.0);
        assert_eq!(shock_weight(2.0, 0.0, 2.5), 0.0);
        assert!((shock_weight(2.0, 2.0, 3.0) - 0.5).abs() < 1e-12);
        let f = replay_factor(&[-0.5, 1.0], 0.5);
        assert!((f - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((replay_factor(&[-0.5, 1.0], 9.0) - 1.0).abs() < 1e-12);
        assert!((replay_factor(&[-0.5, 1.0], 1.0) - 0.5).abs() < 1e-12);
    }
}
