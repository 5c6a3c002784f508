//! Amounts in operator files, one convention for `ifund init`'s fund config and `ifund
//! propose`'s change file: a plain field name (`max_per_window = 5000`) is in whole numeraire
//! units (5,000 USD); the same name with `_atoms` (`max_per_window_atoms = 5000000000`) is in
//! the numeraire's atoms (10^-`numeraire_decimals` of a unit), as the program stores it. An
//! amount given both ways is refused, naming the two fields.

/// The amount of `field` (its full name in the file, e.g. `draws.approval_threshold`) in
/// atoms, from its whole-unit spelling `whole` or its `_atoms` spelling `atoms`; `None` when
/// neither is given. Errors are the reason, naming the fields.
pub fn to_atoms(
    field: &str,
    whole: Option<u64>,
    atoms: Option<u64>,
    decimals: u8,
) -> Result<Option<u64>, String> {
    match (whole, atoms) {
        (Some(_), Some(_)) => Err(format!(
            "`{field}` (whole units) and `{field}_atoms` (atoms) are both given: give the amount once, in one of them"
        )),
        (None, a) => Ok(a),
        (Some(w), None) => 10u64
            .checked_pow(u32::from(decimals))
            .and_then(|s| w.checked_mul(s))
            .map(Some)
            .ok_or_else(|| {
                format!("`{field}` = {w} whole units is too large for u64 numeraire atoms")
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_units_or_atoms_never_both() {
        assert_eq!(to_atoms("f", Some(5), None, 6), Ok(Some(5_000_000)));
        assert_eq!(to_atoms("f", None, Some(5), 6), Ok(Some(5)));
        assert_eq!(to_atoms("f", None, None, 6), Ok(None));
        assert_eq!(
            to_atoms("draws.approval_threshold", Some(5), Some(5), 6),
            Err("`draws.approval_threshold` (whole units) and `draws.approval_threshold_atoms` (atoms) are both given: give the amount once, in one of them".into())
        );
        assert_eq!(
            to_atoms("f", Some(u64::MAX), None, 6),
            Err(format!(
                "`f` = {} whole units is too large for u64 numeraire atoms",
                u64::MAX
            ))
        );
    }
}
