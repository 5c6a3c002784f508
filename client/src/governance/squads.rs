//! Squads v4 (`squads-multisig-program` 2.0.0, program `SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf`):
//! the instructions a fund's governance needs, encoded here because the crate cannot be a
//! dependency beside anchor-lang 1.2.2. Squads is an Anchor program: each instruction's data
//! is `sha256("global:<name>")[..8]` followed by the Borsh encoding of its arguments, each
//! account's data starts with `sha256("account:<Name>")[..8]`. Layouts follow the program's
//! sources (`programs/squads_multisig_program/src/{instructions,state}`).
//!
//! A vault transaction executes a message signed by the vault PDA
//! `["multisig", multisig, "vault", vault_index]`. `ifund propose` prints that message as a
//! legacy Solana message (what the Squads app imports); on chain, `vault_transaction_create`
//! takes Squads' compact `TransactionMessage` instead, which [`transaction_message`] derives
//! from the legacy message without changing an account, a flag or a byte of data.

use super::anchor_discriminator;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use solana_message::Message;

/// The Squads v4 program on every cluster.
pub const PROGRAM_ID: Pubkey = pubkey!("SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf");

const SEED_PREFIX: &[u8] = b"multisig";

/// `MultisigError` codes (Anchor: 6000 + the variant's index) the callers check.
pub mod error {
    /// Voting on, or executing, a proposal not in the state that allows it.
    pub const INVALID_PROPOSAL_STATUS: u32 = 6008;
}

/// Member permissions (`Permissions::mask`).
pub mod permission {
    pub const INITIATE: u8 = 1 << 0;
    pub const VOTE: u8 = 1 << 1;
    pub const EXECUTE: u8 = 1 << 2;
    pub const ALL: u8 = INITIATE | VOTE | EXECUTE;
}

/// `Member` as the program stores it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub key: Pubkey,
    /// A [`permission`] mask.
    pub permissions: u8,
}

/// `["multisig", "program_config"]`: the global configuration `multisig_create_v2` reads.
pub fn program_config_address() -> Pubkey {
    Pubkey::find_program_address(&[SEED_PREFIX, b"program_config"], &PROGRAM_ID).0
}

/// `["multisig", "multisig", create_key]`.
pub fn multisig_address(create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[SEED_PREFIX, b"multisig", create_key.as_ref()],
        &PROGRAM_ID,
    )
    .0
}

/// `["multisig", multisig, "vault", vault_index]`: the key that signs vault transactions (a
/// fund's governance).
pub fn vault_address(multisig: &Pubkey, vault_index: u8) -> Pubkey {
    Pubkey::find_program_address(
        &[SEED_PREFIX, multisig.as_ref(), b"vault", &[vault_index]],
        &PROGRAM_ID,
    )
    .0
}

/// `["multisig", multisig, "transaction", index]`.
pub fn transaction_address(multisig: &Pubkey, index: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[
            SEED_PREFIX,
            multisig.as_ref(),
            b"transaction",
            &index.to_le_bytes(),
        ],
        &PROGRAM_ID,
    )
    .0
}

/// `["multisig", multisig, "transaction", index, "proposal"]`.
pub fn proposal_address(multisig: &Pubkey, index: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[
            SEED_PREFIX,
            multisig.as_ref(),
            b"transaction",
            &index.to_le_bytes(),
            b"proposal",
        ],
        &PROGRAM_ID,
    )
    .0
}

/// The `ProgramConfig` account's data (discriminator and Borsh fields), for writing it into a
/// test genesis: on a cluster the Squads team initialised it once.
pub fn program_config_data(
    authority: &Pubkey,
    multisig_creation_fee: u64,
    treasury: &Pubkey,
) -> Vec<u8> {
    let mut data = anchor_discriminator("account", "ProgramConfig").to_vec();
    data.extend_from_slice(authority.as_ref());
    data.extend_from_slice(&multisig_creation_fee.to_le_bytes());
    data.extend_from_slice(treasury.as_ref());
    data.extend_from_slice(&[0; 64]); // _reserved
    data
}

fn instruction(name: &str, accounts: Vec<AccountMeta>, args: impl AnchorSerialize) -> Instruction {
    let mut data = anchor_discriminator("global", name).to_vec();
    args.serialize(&mut data).expect("borsh into a Vec");
    Instruction {
        program_id: PROGRAM_ID,
        accounts,
        data,
    }
}

#[derive(AnchorSerialize)]
struct MultisigCreateArgsV2 {
    config_authority: Option<Pubkey>,
    threshold: u16,
    members: Vec<Member>,
    time_lock: u32,
    rent_collector: Option<Pubkey>,
    memo: Option<String>,
}

/// `multisig_create_v2`: an autonomous multisig (no config authority) at
/// `["multisig", "multisig", create_key]`; `creator` pays its rent and the program's creation
/// fee to `treasury` (the `ProgramConfig`'s).
pub fn multisig_create_v2(
    treasury: &Pubkey,
    create_key: &Pubkey,
    creator: &Pubkey,
    threshold: u16,
    members: Vec<Member>,
    time_lock: u32,
) -> Instruction {
    instruction(
        "multisig_create_v2",
        vec![
            AccountMeta::new_readonly(program_config_address(), false),
            AccountMeta::new(*treasury, false),
            AccountMeta::new(multisig_address(create_key), false),
            AccountMeta::new_readonly(*create_key, true),
            AccountMeta::new(*creator, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        ],
        MultisigCreateArgsV2 {
            config_authority: None,
            threshold,
            members,
            time_lock,
            rent_collector: None,
            memo: None,
        },
    )
}

/// Squads' compact transaction message (`TransactionMessage`): the legacy message's header
/// counts, keys and compiled instructions with one-byte (data: two-byte) length prefixes.
#[derive(AnchorSerialize, Debug, PartialEq, Eq)]
struct TransactionMessage {
    num_signers: u8,
    num_writable_signers: u8,
    num_writable_non_signers: u8,
    account_keys: SmallVec8<Pubkey>,
    instructions: SmallVec8<CompiledInstruction>,
    address_table_lookups: SmallVec8<()>,
}

#[derive(AnchorSerialize, Debug, PartialEq, Eq)]
struct CompiledInstruction {
    program_id_index: u8,
    account_indexes: SmallVec8<u8>,
    data: SmallVec16<u8>,
}

/// Squads' `SmallVec<u8, T>`: a `u8` length, then the items.
#[derive(Debug, PartialEq, Eq)]
struct SmallVec8<T>(Vec<T>);
/// Squads' `SmallVec<u16, T>`: a little-endian `u16` length, then the items.
#[derive(Debug, PartialEq, Eq)]
struct SmallVec16<T>(Vec<T>);

impl<T: AnchorSerialize> AnchorSerialize for SmallVec8<T> {
    fn serialize<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        let len = u8::try_from(self.0.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        w.write_all(&[len])?;
        self.0.iter().try_for_each(|x| x.serialize(w))
    }
}

impl<T: AnchorSerialize> AnchorSerialize for SmallVec16<T> {
    fn serialize<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        let len = u16::try_from(self.0.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        w.write_all(&len.to_le_bytes())?;
        self.0.iter().try_for_each(|x| x.serialize(w))
    }
}

/// Why a legacy message cannot become a Squads vault transaction.
#[derive(Debug, ::thiserror::Error, PartialEq, Eq)]
pub enum MessageError {
    #[error("the message's fee payer {found} is not the vault {vault}")]
    NotTheVault { vault: Pubkey, found: Pubkey },
    #[error("the message has {0} signers; a vault transaction has only the vault")]
    OtherSigners(u8),
    #[error("the message is too large for a vault transaction (a count above 255, or data above 65,535 bytes)")]
    TooLarge,
}

/// The legacy `message` (fee payer and only signer: `vault`) as Squads' compact
/// `TransactionMessage`, Borsh-encoded: what `vault_transaction_create` stores and
/// `vault_transaction_execute` later runs. Keys, their order and roles, and every
/// instruction are the message's own.
pub fn transaction_message(
    message: &Message,
    vault: &Pubkey,
) -> std::result::Result<Vec<u8>, MessageError> {
    let h = &message.header;
    let found = message.account_keys.first().copied().unwrap_or_default();
    if found != *vault {
        return Err(MessageError::NotTheVault {
            vault: *vault,
            found,
        });
    }
    if h.num_required_signatures != 1 {
        return Err(MessageError::OtherSigners(h.num_required_signatures));
    }
    let n = message.account_keys.len();
    let unsigned = n - usize::from(h.num_required_signatures);
    let too_large = |_| MessageError::TooLarge;
    let compact = TransactionMessage {
        num_signers: h.num_required_signatures,
        num_writable_signers: h.num_required_signatures - h.num_readonly_signed_accounts,
        num_writable_non_signers: u8::try_from(
            unsigned - usize::from(h.num_readonly_unsigned_accounts),
        )
        .map_err(too_large)?,
        account_keys: SmallVec8(message.account_keys.clone()),
        instructions: SmallVec8(
            message
                .instructions
                .iter()
                .map(|ix| CompiledInstruction {
                    program_id_index: ix.program_id_index,
                    account_indexes: SmallVec8(ix.accounts.clone()),
                    data: SmallVec16(ix.data.clone()),
                })
                .collect(),
        ),
        address_table_lookups: SmallVec8(vec![]),
    };
    let mut out = vec![];
    compact
        .serialize(&mut out)
        .map_err(|_| MessageError::TooLarge)?;
    Ok(out)
}

#[derive(AnchorSerialize)]
struct VaultTransactionCreateArgs {
    vault_index: u8,
    ephemeral_signers: u8,
    transaction_message: Vec<u8>,
    memo: Option<String>,
}

/// `vault_transaction_create`: stores `transaction_message` (see [`transaction_message`]) as
/// the multisig's transaction `index` (its current `transaction_index` + 1). `creator` must be
/// a member with the Initiate permission; `rent_payer` pays the account.
pub fn vault_transaction_create(
    multisig: &Pubkey,
    index: u64,
    creator: &Pubkey,
    rent_payer: &Pubkey,
    vault_index: u8,
    transaction_message: Vec<u8>,
) -> Instruction {
    instruction(
        "vault_transaction_create",
        vec![
            AccountMeta::new(*multisig, false),
            AccountMeta::new(transaction_address(multisig, index), false),
            AccountMeta::new_readonly(*creator, true),
            AccountMeta::new(*rent_payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        ],
        VaultTransactionCreateArgs {
            vault_index,
            ephemeral_signers: 0,
            transaction_message,
            memo: None,
        },
    )
}

#[derive(AnchorSerialize)]
struct ProposalCreateArgs {
    transaction_index: u64,
    draft: bool,
}

/// `proposal_create`: an active (voting) proposal for transaction `index`. `creator` must be
/// a member with the Initiate or Vote permission.
pub fn proposal_create(
    multisig: &Pubkey,
    index: u64,
    creator: &Pubkey,
    rent_payer: &Pubkey,
) -> Instruction {
    instruction(
        "proposal_create",
        vec![
            AccountMeta::new_readonly(*multisig, false),
            AccountMeta::new(proposal_address(multisig, index), false),
            AccountMeta::new_readonly(*creator, true),
            AccountMeta::new(*rent_payer, true),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
        ],
        ProposalCreateArgs {
            transaction_index: index,
            draft: false,
        },
    )
}

#[derive(AnchorSerialize)]
struct ProposalVoteArgs {
    memo: Option<String>,
}

/// A member's vote on the proposal of transaction `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// `proposal_approve`: approved once `threshold` members approve.
    Approve,
    /// `proposal_reject`: rejected once approval has become impossible.
    Reject,
    /// `proposal_cancel`: an approved proposal is cancelled once `threshold` members cancel.
    Cancel,
}

/// `proposal_approve`, `proposal_reject` or `proposal_cancel` by `member` (Vote permission).
pub fn proposal_vote(multisig: &Pubkey, index: u64, member: &Pubkey, vote: Vote) -> Instruction {
    let name = match vote {
        Vote::Approve => "proposal_approve",
        Vote::Reject => "proposal_reject",
        Vote::Cancel => "proposal_cancel",
    };
    instruction(
        name,
        vec![
            AccountMeta::new_readonly(*multisig, false),
            AccountMeta::new(*member, true),
            AccountMeta::new(proposal_address(multisig, index), false),
        ],
        ProposalVoteArgs { memo: None },
    )
}

/// `vault_transaction_execute` of transaction `index`, whose message is `message`: the
/// message's accounts follow as remaining accounts, in order and with its writability; the
/// vault is not a signer of the outer transaction (the program signs for it).
pub fn vault_transaction_execute(
    multisig: &Pubkey,
    index: u64,
    member: &Pubkey,
    message: &Message,
) -> Instruction {
    let mut accounts = vec![
        AccountMeta::new_readonly(*multisig, false),
        AccountMeta::new(proposal_address(multisig, index), false),
        AccountMeta::new_readonly(transaction_address(multisig, index), false),
        AccountMeta::new_readonly(*member, true),
    ];
    accounts.extend(
        message
            .account_keys
            .iter()
            .enumerate()
            .map(|(i, key)| AccountMeta {
                pubkey: *key,
                is_signer: false,
                is_writable: message.is_maybe_writable(i, None),
            }),
    );
    instruction("vault_transaction_execute", accounts, ())
}

/// What `ifund propose --submit` sends for a Squads multisig whose last transaction index is
/// `last_index`: `vault_transaction_create` of `message` as transaction `last_index + 1`, then
/// `proposal_create` and the submitter's `proposal_approve`, all by `member` (who pays).
pub fn submit_instructions(
    multisig: &Pubkey,
    last_index: u64,
    vault_index: u8,
    member: &Pubkey,
    message: &Message,
) -> std::result::Result<(u64, Vec<Instruction>), MessageError> {
    let index = last_index + 1;
    let vault = vault_address(multisig, vault_index);
    let compact = transaction_message(message, &vault)?;
    Ok((
        index,
        vec![
            vault_transaction_create(multisig, index, member, member, vault_index, compact),
            proposal_create(multisig, index, member, member),
            proposal_vote(multisig, index, member, Vote::Approve),
        ],
    ))
}

/// The fields of a `Multisig` account this crate reads.
#[derive(AnchorDeserialize, Debug, Clone, PartialEq, Eq)]
pub struct MultisigAccount {
    pub create_key: Pubkey,
    pub config_authority: Pubkey,
    pub threshold: u16,
    pub time_lock: u32,
    /// The last transaction's index (0: none yet).
    pub transaction_index: u64,
    pub stale_transaction_index: u64,
    pub rent_collector: Option<Pubkey>,
    pub bump: u8,
    pub members: Vec<Member>,
}

/// Decodes a `Multisig` account's data (`None` if it is not one).
pub fn multisig(data: &[u8]) -> Option<MultisigAccount> {
    let body = data.strip_prefix(&anchor_discriminator("account", "Multisig")[..])?;
    MultisigAccount::deserialize(&mut &body[..]).ok()
}

/// `ProposalStatus`, with the time it was entered.
#[derive(AnchorDeserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    Draft {
        timestamp: i64,
    },
    Active {
        timestamp: i64,
    },
    Rejected {
        timestamp: i64,
    },
    Approved {
        timestamp: i64,
    },
    /// Deprecated by the program; never entered.
    Executing,
    Executed {
        timestamp: i64,
    },
    Cancelled {
        timestamp: i64,
    },
}

/// A `Proposal` account's status (`None` if the data is not a proposal).
pub fn proposal_status(data: &[u8]) -> Option<ProposalStatus> {
    let body = data.strip_prefix(&anchor_discriminator("account", "Proposal")[..])?;
    // multisig (32) and transaction_index (8) precede the status
    ProposalStatus::deserialize(&mut body.get(40..)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix(program: Pubkey, accounts: Vec<AccountMeta>, data: Vec<u8>) -> Instruction {
        Instruction {
            program_id: program,
            accounts,
            data,
        }
    }

    #[test]
    fn the_compact_message_keeps_the_legacy_messages_keys_roles_and_instructions() {
        let vault = Pubkey::new_unique();
        let (w, r, p) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let m = Message::new(
            &[
                ix(
                    p,
                    vec![
                        AccountMeta::new_readonly(vault, true),
                        AccountMeta::new(w, false),
                    ],
                    vec![1, 2, 3],
                ),
                ix(p, vec![AccountMeta::new_readonly(r, false)], vec![9; 300]),
            ],
            Some(&vault),
        );
        let bytes = transaction_message(&m, &vault).unwrap();
        // header: one signer (the vault, writable as fee payer), one writable non-signer (w)
        assert_eq!(&bytes[..3], &[1, 1, 1]);
        assert_eq!(usize::from(bytes[3]), m.account_keys.len());
        let keys_end = 4 + 32 * m.account_keys.len();
        for (i, k) in m.account_keys.iter().enumerate() {
            assert_eq!(&bytes[4 + 32 * i..4 + 32 * (i + 1)], k.as_ref());
        }
        // two instructions; the second's data has a two-byte length (300)
        let mut rest = &bytes[keys_end..];
        assert_eq!(rest[0], 2);
        rest = &rest[1..];
        for c in &m.instructions {
            assert_eq!(rest[0], c.program_id_index);
            assert_eq!(usize::from(rest[1]), c.accounts.len());
            assert_eq!(&rest[2..2 + c.accounts.len()], &c.accounts[..]);
            rest = &rest[2 + c.accounts.len()..];
            let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
            assert_eq!(&rest[2..2 + len], &c.data[..]);
            rest = &rest[2 + len..];
        }
        assert_eq!(rest, &[0], "no address table lookups");
    }

    #[test]
    fn only_a_message_paid_and_signed_by_the_vault_alone_converts() {
        let vault = Pubkey::new_unique();
        let other = Pubkey::new_unique();
        let p = Pubkey::new_unique();
        let m = Message::new(&[ix(p, vec![], vec![])], Some(&other));
        assert_eq!(
            transaction_message(&m, &vault),
            Err(MessageError::NotTheVault {
                vault,
                found: other
            })
        );
        let m = Message::new(
            &[ix(p, vec![AccountMeta::new_readonly(other, true)], vec![])],
            Some(&vault),
        );
        assert_eq!(
            transaction_message(&m, &vault),
            Err(MessageError::OtherSigners(2))
        );
    }

    #[test]
    fn decoders_refuse_other_accounts() {
        assert_eq!(multisig(&[0; 200]), None);
        assert_eq!(proposal_status(&[0; 100]), None);
        let mut data = anchor_discriminator("account", "Proposal").to_vec();
        data.extend_from_slice(&[0; 40]);
        data.push(3); // Approved
        data.extend_from_slice(&7i64.to_le_bytes());
        assert_eq!(
            proposal_status(&data),
            Some(ProposalStatus::Approved { timestamp: 7 })
        );
    }
}
