//! `ifund propose --submit`: a proposal built by [`crate::propose`] created on chain in the
//! governance program that holds the fund's governance key, signed and paid by a member. The
//! instructions are `insurance_fund_client::governance`'s; what is submitted is exactly what
//! `propose` prints ([`squads_message`], [`spl_governance_instructions`]).

use crate::chain::Chain;
use crate::propose::{spl_governance_instructions, squads_message, Proposal};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anyhow::{bail, Context};
use insurance_fund_client::governance::{spl_governance, squads};

/// Where `--submit` creates the proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitTo {
    /// A Squads v4 multisig; the fund's governance must be its vault `vault_index`.
    Squads { multisig: Pubkey, vault_index: u8 },
    /// An SPL Governance governance account of `program`; the fund's governance must be its
    /// native treasury. The proposal is voted with `mint` (default: the realm's community
    /// mint).
    SplGovernance {
        program: Pubkey,
        governance: Pubkey,
        mint: Option<Pubkey>,
    },
}

/// What `--submit` created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// The proposal account (Squads `Proposal`, SPL Governance `ProposalV2`).
    pub proposal: Pubkey,
    /// Squads: the vault transaction's index. SPL Governance: the number of proposal
    /// transactions (transaction `i` holds instruction `i`).
    pub index: u64,
    pub signatures: Vec<String>,
    /// SPL Governance: the proposal's keys, for voting and executing.
    pub spl_keys: Option<spl_governance::ProposalKeys>,
}

/// `ifund propose --submit`: creates `p` on chain as a proposal of the governance program
/// that holds the fund's governance key, signed and paid by the member `member`:
///
/// - Squads: `vault_transaction_create` of [`squads_message`] (in Squads' compact form),
///   `proposal_create`, and the member's `proposal_approve`;
/// - SPL Governance: `CreateProposal`, one `InsertTransaction` per
///   [`spl_governance_instructions`] entry (hold-up: the governance's minimum), and
///   `SignOffProposal`, which opens the vote.
///
/// Checked first, naming what is wrong, before anything is sent: the multisig or governance
/// account exists and is the program's, its vault / native treasury is the proposal's
/// governance, the submitter is a Squads member, and every transaction fits in 1,232 bytes.
pub fn submit(
    chain: &mut dyn Chain,
    member: &solana_keypair::Keypair,
    to: &SubmitTo,
    p: &Proposal,
    opts: &crate::chain::SendOptions,
) -> anyhow::Result<Submitted> {
    use solana_signer::Signer;
    let me = member.pubkey();
    // (what, instructions) of each transaction, planned in full before anything is sent
    let (batches, submitted): (Vec<(String, Vec<Instruction>)>, Submitted) = match *to {
        SubmitTo::Squads {
            multisig,
            vault_index,
        } => {
            let account = chain.get_account(&multisig)?.with_context(|| {
                format!("no Squads multisig at {multisig} on {}", chain.describe())
            })?;
            let ms = squads::multisig(&account.data)
                .filter(|_| account.owner == squads::PROGRAM_ID)
                .with_context(|| format!("{multisig} is not a Squads v4 multisig"))?;
            let vault = squads::vault_address(&multisig, vault_index);
            anyhow::ensure!(
                vault == p.governance,
                "the fund's governance is {}, not vault {vault_index} ({vault}) of multisig {multisig}",
                p.governance
            );
            anyhow::ensure!(
                ms.members.iter().any(|m| m.key == me),
                "{me} is not a member of multisig {multisig}"
            );
            let (index, ixs) = squads::submit_instructions(
                &multisig,
                ms.transaction_index,
                vault_index,
                &me,
                &squads_message(p),
            )?;
            (
                vec![
                    ("vault_transaction_create".into(), ixs[..1].to_vec()),
                    (
                        "proposal_create + proposal_approve".into(),
                        ixs[1..].to_vec(),
                    ),
                ],
                Submitted {
                    proposal: squads::proposal_address(&multisig, index),
                    index,
                    signatures: vec![],
                    spl_keys: None,
                },
            )
        }
        SubmitTo::SplGovernance {
            program,
            governance,
            mint,
        } => {
            let treasury = spl_governance::native_treasury_address(&program, &governance);
            anyhow::ensure!(
                treasury == p.governance,
                "the fund's governance is {}, not the native treasury ({treasury}) of governance {governance}",
                p.governance
            );
            let account = chain.get_account(&governance)?.with_context(|| {
                format!(
                    "no governance account at {governance} on {}",
                    chain.describe()
                )
            })?;
            let realm = spl_governance::governance_realm(&account.data)
                .filter(|_| account.owner == program)
                .with_context(|| {
                    format!("{governance} is not a governance account of {program}")
                })?;
            let mint = match mint {
                Some(m) => m,
                None => {
                    let r = chain
                        .get_account(&realm)?
                        .with_context(|| format!("no realm account at {realm}"))?;
                    spl_governance::realm_community_mint(&r.data)
                        .with_context(|| format!("{realm} is not a realm of {program}"))?
                }
            };
            let config = spl_governance::governance_config(&account.data).with_context(|| {
                format!("cannot read the configuration of governance {governance}")
            })?;
            let seed = solana_keypair::Keypair::new().pubkey();
            let keys =
                spl_governance::ProposalKeys::new(&program, &realm, &governance, &mint, &me, &seed);
            let data = spl_governance_instructions(p);
            let name: String = format!(
                "ifund: {}",
                p.steps
                    .iter()
                    .map(|s| s.title.split(' ').next().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .chars()
            .take(120)
            .collect();
            let ixs = spl_governance::submit_instructions(
                &keys,
                &me,
                &seed,
                &name,
                config.min_transaction_hold_up_time,
                &data,
            );
            let last = ixs.len() - 1;
            let mut batches = vec![("CreateProposal".to_string(), ixs[..1].to_vec())];
            batches.extend(
                ixs[1..last]
                    .iter()
                    .enumerate()
                    .map(|(i, ix)| (format!("InsertTransaction {i}"), vec![ix.clone()])),
            );
            batches.push(("SignOffProposal".into(), ixs[last..].to_vec()));
            (
                batches,
                Submitted {
                    proposal: keys.proposal,
                    index: data.len() as u64,
                    signatures: vec![],
                    spl_keys: Some(keys),
                },
            )
        }
    };
    for (what, ixs) in &batches {
        let size = crate::chain::wire_size(&me, ixs, opts);
        if size > crate::chain::MAX_TRANSACTION_BYTES {
            bail!(
                "{what} would be a {size}-byte transaction, over the {}-byte limit: nothing was sent; split the change file into smaller proposals",
                crate::chain::MAX_TRANSACTION_BYTES
            );
        }
    }
    let mut submitted = submitted;
    for (what, ixs) in &batches {
        let r = crate::chain::send(chain, member, &[], ixs, opts)?;
        if !r.is_ok() {
            bail!("{what} failed: {}\n{}", r.describe(), r.logs.join("\n"));
        }
        submitted.signatures.push(r.signature);
    }
    Ok(submitted)
}
