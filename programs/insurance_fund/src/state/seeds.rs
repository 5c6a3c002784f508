//! Every PDA the program derives, in one place.
//!
//! | account | seeds                                   | bump stored in        |
//! |---------|-----------------------------------------|-----------------------|
//! | Fund    | `["fund", create_key]`                  | `Fund::bump`          |
//! | Vault   | `["vault", fund, mint]`                 | `Asset::vault_bump`   |
//! | Claimant | `["claimant", fund, authority]`        | `Claimant::bump`      |
//! | Shortfall | `["shortfall", fund, id as u64 LE]`   | `Shortfall::bump`     |
//! | PendingChange | `["change", fund, sha256(borsh(change))]` | `PendingChange::bump` |
//!
//! `create_key` is a signer chosen by whoever creates the fund (as in Squads v4): the fund's
//! address cannot be front-run, and one deployment holds any number of independent funds.

pub const SEED_FUND: &[u8] = b"fund";
pub const SEED_VAULT: &[u8] = b"vault";
pub const SEED_CLAIMANT: &[u8] = b"claimant";
pub const SEED_SHORTFALL: &[u8] = b"shortfall";
pub const SEED_CHANGE: &[u8] = b"change";
