//! The names operators read and write for an asset's class, flags and price source, in one
//! place: `ifund init`'s config, `ifund propose`'s change file and diff, and `ifund status`.
//! Names are kebab-case; `snake_case` spellings are accepted too.

use insurance_fund::state::{asset_flags, LiquidityClass, OracleSource};
use serde::{Deserialize, Deserializer};

const CLASSES: [(LiquidityClass, &str); 3] = [
    (LiquidityClass::Liquid, "liquid"),
    (LiquidityClass::YieldBearing, "yield-bearing"),
    (LiquidityClass::Illiquid, "illiquid"),
];

const FLAGS: [(u8, &str); 4] = [
    (asset_flags::DEPOSIT, "deposit"),
    (asset_flags::REBALANCE_IN, "rebalance-in"),
    (asset_flags::REBALANCE_OUT, "rebalance-out"),
    (asset_flags::DRAW, "draw"),
];

const SOURCES: [(OracleSource, &str); 2] = [
    (OracleSource::PythPull, "pyth"),
    (OracleSource::Fixed, "fixed"),
];

fn kebab(s: &str) -> String {
    s.trim().replace('_', "-")
}

fn listed<T>(table: &[(T, &str)]) -> String {
    table.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
}

/// A class by name; the error says which names there are.
pub fn class(name: &str) -> Result<LiquidityClass, String> {
    let k = kebab(name);
    CLASSES
        .iter()
        .find(|(_, n)| *n == k)
        .map(|(c, _)| *c)
        .ok_or_else(|| format!("{name:?} is not a class ({})", listed(&CLASSES)))
}

/// A class's name.
pub fn class_name(class: LiquidityClass) -> &'static str {
    CLASSES
        .iter()
        .find(|(c, _)| *c == class)
        .map_or("?", |(_, n)| n)
}

/// A stored class byte's name (`class N` for an unknown byte).
pub fn class_byte_name(class: u8) -> String {
    LiquidityClass::try_from(class)
        .map_or_else(|_| format!("class {class}"), |c| class_name(c).into())
}

/// An `asset_flags` bit by name; the error says which names there are.
pub fn flag(name: &str) -> Result<u8, String> {
    let k = kebab(name);
    FLAGS
        .iter()
        .find(|(_, n)| *n == k)
        .map(|(b, _)| *b)
        .ok_or_else(|| format!("{name:?} is not a flag ({})", listed(&FLAGS)))
}

/// The `asset_flags` bits a list of flag names sets.
pub fn flags(names: &[String]) -> Result<u8, String> {
    names.iter().try_fold(0, |bits, n| Ok(bits | flag(n)?))
}

/// `asset_flags` bits by name, comma-separated (`none` when no bit is set).
pub fn flag_names(bits: u8) -> String {
    let names: Vec<&str> = FLAGS
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// A price source by name; the error says which names there are.
pub fn oracle_source(name: &str) -> Result<OracleSource, String> {
    let k = kebab(name);
    SOURCES
        .iter()
        .find(|(_, n)| *n == k)
        .map(|(s, _)| *s)
        .ok_or_else(|| format!("{name:?} is not an oracle source ({})", listed(&SOURCES)))
}

/// A price source's name.
pub fn oracle_source_name(source: OracleSource) -> &'static str {
    SOURCES
        .iter()
        .find(|(s, _)| *s == source)
        .map_or("?", |(_, n)| n)
}

/// A class by name, for `#[serde(deserialize_with)]`.
pub fn deserialize_class<'de, D: Deserializer<'de>>(d: D) -> Result<LiquidityClass, D::Error> {
    class(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// A price source by name, for `#[serde(deserialize_with)]`.
pub fn deserialize_oracle_source<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<OracleSource, D::Error> {
    oracle_source(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        for (c, n) in CLASSES {
            assert_eq!(class(n), Ok(c));
            assert_eq!(class_byte_name(c as u8), n);
        }
        assert_eq!(class("yield_bearing"), Ok(LiquidityClass::YieldBearing));
        assert_eq!(
            class("stable"),
            Err("\"stable\" is not a class (liquid, yield-bearing, illiquid)".into())
        );
        let all: Vec<String> = FLAGS.iter().map(|(_, n)| n.to_string()).collect();
        assert_eq!(flags(&all), Ok(asset_flags::ALL));
        assert_eq!(flag_names(asset_flags::ALL), all.join(", "));
        assert_eq!(flag_names(0), "none");
        assert_eq!(
            flags(&["withdraw".into()]),
            Err("\"withdraw\" is not a flag (deposit, rebalance-in, rebalance-out, draw)".into())
        );
        for (s, n) in SOURCES {
            assert_eq!(oracle_source(n), Ok(s));
            assert_eq!(oracle_source_name(s), n);
        }
        assert_eq!(
            oracle_source("switchboard"),
            Err("\"switchboard\" is not an oracle source (pyth, fixed)".into())
        );
    }
}
