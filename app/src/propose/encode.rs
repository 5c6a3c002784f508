//! The proposal as instructions, as a Squads v4 transaction message and as SPL Governance
//! instruction data, and the whole printout.

use super::{Ctx, Proposal, Step};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use base64::Engine;
use insurance_fund::timelock::{ChangeEffect, ConfigChange};
use insurance_fund_client::governance::spl_governance;
use insurance_fund_client::ix;
use std::fmt::Write as _;

/// The instruction that applies `change` directly, signed by `authority` (and `payer`, who
/// pays the rent of the accounts `add_asset` and `register_claimant` create).
pub(super) fn config_ix(
    ctx: &Ctx,
    authority: &Pubkey,
    payer: &Pubkey,
    change: &ConfigChange,
) -> Instruction {
    let fund = &ctx.fund_key;
    match change.clone() {
        ConfigChange::AddAsset { mint, params } => {
            // `apply` has checked the mint account exists and is a token program's
            let token_program = ctx
                .on_chain
                .accounts
                .get(&mint)
                .and_then(|a| a.as_ref())
                .map(|a| a.owner)
                .unwrap_or_default();
            ix::add_asset(fund, authority, payer, &mint, &token_program, params)
        }
        ConfigChange::UpdateAsset { mint, params } => {
            ix::update_asset(fund, authority, &mint, params)
        }
        ConfigChange::SetBounds { bounds } => ix::set_bounds(fund, authority, bounds),
        ConfigChange::SetRebalanceParams { params } => {
            ix::set_rebalance_params(fund, authority, params)
        }
        ConfigChange::SetDrawParams { params } => ix::set_draw_params(fund, authority, params),
        ConfigChange::SetGuardian { guardian } => ix::set_guardian(fund, authority, guardian),
        ConfigChange::RegisterClaimant {
            authority: claimant,
            payout_owner,
            caps,
        } => ix::register_claimant(fund, authority, payer, claimant, payout_owner, caps),
        ConfigChange::UpdateClaimant {
            authority: claimant,
            payout_owner,
            caps,
            enabled,
        } => ix::update_claimant(fund, authority, &claimant, payout_owner, caps, enabled),
    }
}

/// The proposal's instructions as a Solana transaction message (legacy format, fee payer and
/// signer = the governance vault, blockhash zero): what a Squads v4 vault transaction
/// executes. `--submit` turns exactly this message into Squads' on-chain form.
pub fn squads_message(p: &Proposal) -> solana_message::Message {
    solana_message::Message::new(&p.instructions(), Some(&p.governance))
}

/// [`squads_message`], base58: ready for Squads' transaction import.
pub fn squads_message_base58(p: &Proposal) -> String {
    bs58::encode(squads_message(p).serialize()).into_string()
}

/// SPL Governance's `InstructionData` (Borsh), one per instruction: the data of the
/// proposal's transactions (`InsertTransaction`).
pub fn spl_governance_instructions(p: &Proposal) -> Vec<spl_governance::InstructionData> {
    p.instructions()
        .iter()
        .map(spl_governance::InstructionData::from)
        .collect()
}

/// [`spl_governance_instructions`], base64: what Realms' custom-instruction field takes.
pub fn spl_governance_instruction_data(p: &Proposal) -> Vec<String> {
    spl_governance_instructions(p)
        .iter()
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d.to_bytes()))
        .collect()
}

fn describe_ix(out: &mut String, ix: &Instruction) {
    let _ = writeln!(out, "    program {}", ix.program_id);
    for (i, m) in ix.accounts.iter().enumerate() {
        let role = match (m.is_signer, m.is_writable) {
            (true, true) => "signer, writable",
            (true, false) => "signer",
            (false, true) => "writable",
            (false, false) => "",
        };
        let _ = writeln!(out, "    #{i:<2} {} {role}", m.pubkey);
    }
    let _ = writeln!(
        out,
        "    data (base58) {}",
        bs58::encode(&ix.data).into_string()
    );
}

/// The whole printout: diff, instructions, and both governance encodings.
pub fn render(p: &Proposal) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fund {}  governance {}  timelock {} s",
        p.fund, p.governance, p.timelock_secs
    );
    let _ = writeln!(
        out,
        "\n== Changes (each checked against the program's own rules)"
    );
    for (n, s) in p.steps.iter().enumerate() {
        let when = match (&s.execute, s.effect) {
            (Some(_), _) => format!(
                "LOOSENS: queued, executable by anyone {} s after the proposal executes",
                s.delay_secs
            ),
            (None, ChangeEffect::Loosens) => {
                "LOOSENS: applies at once (the fund has no timelock)".to_string()
            }
            (None, ChangeEffect::Tightens) => "applies at once".to_string(),
        };
        let _ = writeln!(out, "{}. {}  [{}]", n + 1, s.title, when);
        if s.diff.is_empty() {
            let _ = writeln!(out, "   (no change)");
        }
        for d in &s.diff {
            let _ = writeln!(out, "   {d}");
        }
    }
    let _ = writeln!(out, "\n== Instructions governance executes (in order)");
    for (n, s) in p.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}",
            n + 1,
            if s.execute.is_some() {
                format!("queue_change ({})", s.title)
            } else {
                s.title.clone()
            }
        );
        describe_ix(&mut out, &s.governance_ix);
    }
    let queued: Vec<&Step> = p.steps.iter().filter(|s| s.execute.is_some()).collect();
    if !queued.is_empty() {
        let _ = writeln!(
            out,
            "\n== After the timelock, anyone executes (put your own key, signing, in each signer slot)"
        );
        for s in queued {
            let (pending, ix) = s.execute.as_ref().expect("queued");
            let slots: Vec<String> = ix
                .accounts
                .iter()
                .enumerate()
                .filter(|(_, m)| m.is_signer)
                .map(|(i, _)| format!("#{i}"))
                .collect();
            let _ = writeln!(
                out,
                "- {}  (queued change {pending}; signer slots {})",
                s.title,
                slots.join(", ")
            );
            describe_ix(&mut out, ix);
        }
    }
    if let Some(s) = p
        .steps
        .iter()
        .find(|s| s.title.starts_with("propose_governance"))
    {
        let _ = writeln!(
            out,
            "\n== Then the new governance takes over: `ifund propose --fund {} --accept-governance` (after {})",
            p.fund, s.title
        );
    }
    let _ = writeln!(out, "\n== Squads v4: transaction message (base58; import it as a vault transaction of the vault {})", p.governance);
    let _ = writeln!(out, "{}", squads_message_base58(p));
    let _ = writeln!(out, "\n== SPL Governance: proposal transaction instruction data (base64 InstructionData, one per instruction)");
    for d in spl_governance_instruction_data(p) {
        let _ = writeln!(out, "{d}");
    }
    out
}
