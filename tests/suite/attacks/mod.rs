//! The attack classes of the security issue, one file per class, each attack tried on every
//! instruction it applies to (the instructions come from `insurance_fund_tests::catalogue`,
//! which is checked against the IDL below). Classes that belong to one instruction's rules
//! live beside that instruction as well; docs/threat-model.md maps every class to its tests.

mod account_data_mismatch;
mod arbitrary_cpi;
mod closing_and_revival;
mod duplicate_accounts;
mod extra_remaining_accounts;
mod missing_signer;
mod oracle_faults;
mod owner_checks;
mod pda_canonical;
mod reinitialisation;
mod sysvar_spoofing;
mod token_2022_hazards;
mod type_cosplay;
mod u64_limits;

use insurance_fund_tests::*;

/// The catalogue the matrices run over names every instruction of the IDL, so a new
/// instruction cannot escape them.
#[tokio::test]
async fn the_catalogue_holds_every_instruction_of_the_idl() {
    let w = World::new().await;
    let mut ours: Vec<String> = w
        .every_instruction()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    let mut idl = idl_instruction_names();
    ours.sort();
    idl.sort();
    assert_eq!(idl.len(), 32, "{idl:?}");
    assert_eq!(ours, idl);
}

/// A copy of `key`'s account (same bytes, same lamports) at a fresh address, owned by `owner`.
pub(crate) async fn clone_account(
    ctx: &mut TestContext,
    key: &anchor_lang::prelude::Pubkey,
    owner: anchor_lang::prelude::Pubkey,
) -> anchor_lang::prelude::Pubkey {
    let mut account = ctx.account(key).await.expect("account");
    account.owner = owner;
    let copy = anchor_lang::prelude::Pubkey::new_unique();
    ctx.ctx.set_account(&copy, &account.into());
    copy
}

/// The accounts at `keys` as stored (owner, lamports, data; `None` where none exists), to
/// compare before and after an attack.
pub(crate) async fn snapshot(
    ctx: &mut TestContext,
    keys: &[anchor_lang::prelude::Pubkey],
) -> Vec<Option<solana_account::Account>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        out.push(ctx.account(k).await);
    }
    out
}

/// Asserts every account at `keys` is exactly as in `before` (a `snapshot` of the same keys).
pub(crate) async fn assert_unchanged(
    ctx: &mut TestContext,
    keys: &[anchor_lang::prelude::Pubkey],
    before: &[Option<solana_account::Account>],
    what: &str,
) {
    let after = snapshot(ctx, keys).await;
    for ((key, b), a) in keys.iter().zip(before).zip(&after) {
        assert!(
            b == a,
            "{what}: account {key} changed\nbefore {b:?}\nafter  {a:?}"
        );
    }
}

/// Every account of the `World` an attack could touch: the fund, both vaults, the claimant,
/// the open shortfall, the queued change, and the payout, keeper and depositor accounts.
pub(crate) fn world_accounts(w: &World) -> Vec<anchor_lang::prelude::Pubkey> {
    let f = &w.f;
    let mut keys = vec![
        f.h.fund,
        f.h.assets[0].vault,
        f.h.assets[1].vault,
        f.claimant_address(&solana_signer::Signer::pubkey(&w.claimant)),
        f.shortfall_address(0),
        f.pending_change_address(&w.queued),
        w.payout,
        w.source,
    ];
    keys.extend(w.keeper_accounts);
    keys
}

/// Asserts the transaction failed in its instruction `index` with the custom error `code`
/// (a `FundError` through `fund_error_code`, or Anchor's `ErrorCode as u32`).
#[track_caller]
pub(crate) fn assert_error_at(out: &Outcome, index: u8, code: u32) {
    use solana_transaction_error::TransactionError;
    match &out.result {
        Err(TransactionError::InstructionError(i, InstructionError::Custom(c)))
            if *i == index && *c == code => {}
        other => panic!(
            "expected custom error {code} in instruction {index}, got {other:?}\n{}",
            out.logs.join("\n")
        ),
    }
}

/// What the runtime reports when Anchor's `init` meets an address that already holds
/// lamports (an existing account, or one somebody funded): the system program refuses the
/// `CreateAccountAllowPrefund` instruction Anchor 1.2.2 sends for that case, which the
/// runtime under test does not implement (see reinitialisation.rs).
#[track_caller]
pub(crate) fn assert_init_refused(out: &Outcome, what: &str) {
    let system_failed = format!(
        "Program {} failed: invalid instruction data",
        anchor_lang::system_program::ID
    );
    match &out.result {
        Err(solana_transaction_error::TransactionError::InstructionError(
            0,
            InstructionError::InvalidInstructionData,
        )) if out.logs.contains(&system_failed) => {}
        other => panic!(
            "{what}: expected InvalidInstructionData from the system program, got {other:?}\n{}",
            out.logs.join("\n")
        ),
    }
}
