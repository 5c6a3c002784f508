//! `ifund propose`: a configuration change described in a TOML file, checked locally with the
//! program's own rules (`Fund::invariant`, `ConfigChange::validate_shape`,
//! `Claimant::invariant`, the Token-2022 vault policy, `ConfigChange::effect`), then printed
//! three ways: a human-readable diff, the exact instructions for the fund, and the same
//! instructions wrapped for the two governance systems in use (a Squads v4 vault transaction
//! message, SPL Governance proposal-transaction instruction data), so voters approve exactly
//! what executes.
//!
//! Loosening changes on a fund with a timelock become `queue_change` instructions; the output
//! then also gives the instruction anyone sends after the delay to execute each one. The check
//! follows that timing: a change applied at once is checked against the fund as it will be
//! when the proposal executes, a queued one against the fund as it will be when it executes
//! after the delay (every change applied at once, then the queued ones in order).
//!
//! By stage: [`parse`] reads the change file, `plan` turns it into changes in an order the
//! program accepts, `check` applies each to a local copy of the fund with the program's own
//! writes and rules (`ConfigChange::apply` and the `state::config` methods), `diff` prints
//! what changes, `encode` builds the instructions and their governance encodings.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::state::{Claimant, Fund};
use insurance_fund::timelock::{ChangeEffect, ConfigChange};
use solana_account::Account;
use std::collections::{BTreeMap, HashMap};

mod check;
mod diff;
mod encode;
pub mod parse;
mod plan;

pub use encode::{
    render, spl_governance_instruction_data, spl_governance_instructions, squads_message,
    squads_message_base58,
};
pub use parse::*;
pub use plan::{accept_governance, build, build_with};

/// One change of the proposal.
#[derive(Debug)]
pub struct Step {
    pub title: String,
    /// Lines `field: before -> after` of what changes.
    pub diff: Vec<String>,
    pub effect: ChangeEffect,
    /// What governance executes: the change itself, or its `queue_change`.
    pub governance_ix: Instruction,
    /// For a queued change: its record's address and the instruction anyone sends after the
    /// delay (every signer slot of it is a placeholder for the sender's key).
    pub execute: Option<(Pubkey, Instruction)>,
    /// The fund's timelock when the proposal executes this step (the delay of a queued one).
    pub delay_secs: u32,
}

#[derive(Debug)]
pub struct Proposal {
    pub fund: Pubkey,
    pub governance: Pubkey,
    pub timelock_secs: u32,
    pub steps: Vec<Step>,
}

impl Proposal {
    /// The instructions governance executes, in order.
    pub fn instructions(&self) -> Vec<Instruction> {
        self.steps.iter().map(|s| s.governance_ix.clone()).collect()
    }
}

/// A step before it is encoded: the change to the fund, as applied locally.
#[derive(Clone)]
enum ProposedChange {
    Config(ConfigChange),
    Targets(Vec<u16>),
    /// Not a `ConfigChange`: `remove_claimant` has no timelock path, it applies at once.
    RemoveClaimant {
        authority: Pubkey,
        rent_receiver: Pubkey,
    },
    /// Not a `ConfigChange`: `propose_governance` applies at once.
    ProposeGovernance(Pubkey),
    /// Not a `ConfigChange`: `retire_asset` only tightens, it applies at once.
    RetireAsset(Pubkey),
    /// Not a `ConfigChange`: `remove_asset` applies at once.
    RemoveAsset {
        mint: Pubkey,
        rent_recipient: Pubkey,
    },
}

/// A change with where it comes from in the file, for messages.
struct Planned {
    title: String,
    /// The file's field, e.g. `add_assets."<mint>"`.
    field: String,
    /// The proposed value, summarised.
    value: String,
    change: ProposedChange,
}

/// What the proposal reads from the chain besides the fund: the accounts of the mints it adds
/// and of the claimants it names (absent ones as `None`).
pub struct OnChain {
    /// The chain, for messages.
    pub source: String,
    pub accounts: HashMap<Pubkey, Option<Account>>,
}

/// The fund and its claimants as the program will see them at some point of the proposal.
#[derive(Clone)]
struct State {
    fund: Box<Fund>,
    /// The claimants the file names, by authority; `None`: no claimant account.
    claimants: BTreeMap<Pubkey, Option<Claimant>>,
}

struct Ctx<'a> {
    fund_key: Pubkey,
    on_chain: &'a OnChain,
}

/// A program error as `Name: message`.
fn reason(e: anchor_lang::error::Error) -> anyhow::Error {
    match e {
        anchor_lang::error::Error::AnchorError(a) => {
            anyhow::anyhow!("{}: {}", a.error_name, a.error_msg)
        }
        anchor_lang::error::Error::ProgramError(p) => anyhow::anyhow!("{}", p.program_error),
    }
}

/// A program rule, its error as the program names it.
fn rule<T>(r: anchor_lang::Result<T>) -> anyhow::Result<T> {
    r.map_err(reason)
}
