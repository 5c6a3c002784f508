//! The attack classes of the security issue, one file per class, each attack tried on every
//! instruction it applies to (the instructions come from `insurance_fund_tests::catalogue`,
//! which is checked against the IDL below). Classes that belong to one instruction's rules
//! live beside that instruction as well; docs/threat-model.md maps every class to its tests.

mod arbitrary_cpi;
mod duplicate_accounts;
mod missing_signer;
mod owner_checks;
mod pda_canonical;
mod token_2022_hazards;
mod type_cosplay;

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
    assert_eq!(idl.len(), 28, "{idl:?}");
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
