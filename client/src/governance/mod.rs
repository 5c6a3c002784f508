//! The two governance programs a fund's governance runs on, encoded host-side (neither crate
//! can be a dependency beside anchor-lang 1.2.2): [`squads`] (Squads v4 multisig vaults) and
//! [`spl_governance`] (SPL Governance DAOs). `ifund propose` prints and submits with these
//! functions, and the tests run their output through the real programs.

pub mod spl_governance;
pub mod squads;

/// An Anchor discriminator: `sha256("<namespace>:<name>")[..8]` (namespace `global` for
/// instructions, `account` for accounts).
pub fn anchor_discriminator(namespace: &str, name: &str) -> [u8; 8] {
    let hash = solana_sha256_hasher::hashv(&[namespace.as_bytes(), b":", name.as_bytes()]);
    let mut out = [0; 8];
    out.copy_from_slice(&hash.to_bytes()[..8]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discriminators_match_anchor() {
        // Anchor's own derivation for this crate's program, as a known answer
        use anchor_lang::Discriminator;
        assert_eq!(
            anchor_discriminator("global", "set_bounds"),
            insurance_fund::instruction::SetBounds::DISCRIMINATOR
        );
        assert_eq!(
            anchor_discriminator("account", "Fund"),
            insurance_fund::state::Fund::DISCRIMINATOR
        );
    }

    #[test]
    fn spl_governance_tags_count_legacy1() {
        use spl_governance::GovernanceInstruction as G;
        let tag = |i: G| {
            let mut v = vec![];
            anchor_lang::AnchorSerialize::serialize(&i, &mut v).unwrap();
            v[0]
        };
        assert_eq!(tag(G::DepositGoverningTokens { amount: 0 }), 1);
        assert_eq!(tag(G::Legacy1), 8);
        assert_eq!(
            tag(G::InsertTransaction {
                option_index: 0,
                index: 0,
                hold_up_time: 0,
                instructions: vec![]
            }),
            9
        );
        assert_eq!(tag(G::SignOffProposal), 12);
        assert_eq!(tag(G::ExecuteTransaction), 16);
        assert_eq!(tag(G::CreateNativeTreasury), 25);
    }
}
