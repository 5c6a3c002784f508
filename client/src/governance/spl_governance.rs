//! SPL Governance (`spl-governance` 4.0.0, program `GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw`):
//! the instructions a fund governed by a DAO needs, encoded here because the crate cannot be a
//! dependency beside anchor-lang 1.2.2. The program's instruction data is the Borsh encoding of
//! its `GovernanceInstruction` enum; [`GovernanceInstruction`] below declares every variant up
//! to the last one used, in the program's order (index 8 is the retired `Legacy1`), so each
//! variant's tag is the program's. Account lists and PDAs follow the program's
//! `instruction.rs` and `state/*.rs`.
//!
//! A DAO's fund is governed by the governance's native treasury
//! (`["native-treasury", governance]`), which `ExecuteTransaction` signs for.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};

/// The SPL Governance program's usual deployment (DAOs may deploy their own copy: every
/// function takes the program id).
pub const PROGRAM_ID: Pubkey = pubkey!("GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw");

const AUTHORITY_SEED: &[u8] = b"governance";

const RENT_SYSVAR: Pubkey = pubkey!("SysvarRent111111111111111111111111111111111");

/// `GovernanceError` codes the callers check.
pub mod error {
    /// `ExecuteTransaction` on a proposal that did not succeed (defeated, cancelled, ...).
    pub const INVALID_STATE_CANNOT_EXECUTE_TRANSACTION: u32 = 524;
}

/// `GovernanceAccountType` tags of the accounts read here.
pub mod account_type {
    pub const PROPOSAL_V2: u8 = 14;
    pub const REALM_V2: u8 = 16;
    pub const GOVERNANCE_V2: u8 = 18;
}

/// `["governance", name]`.
pub fn realm_address(program: &Pubkey, name: &str) -> Pubkey {
    Pubkey::find_program_address(&[AUTHORITY_SEED, name.as_bytes()], program).0
}

/// `["governance", realm, mint]`: the realm's holding account of a governing token.
pub fn holding_address(program: &Pubkey, realm: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[AUTHORITY_SEED, realm.as_ref(), mint.as_ref()], program).0
}

/// `["realm-config", realm]`.
pub fn realm_config_address(program: &Pubkey, realm: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"realm-config", realm.as_ref()], program).0
}

/// `["governance", realm, mint, owner]`: a member's token owner record.
pub fn token_owner_record_address(
    program: &Pubkey,
    realm: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Pubkey {
    Pubkey::find_program_address(
        &[
            AUTHORITY_SEED,
            realm.as_ref(),
            mint.as_ref(),
            owner.as_ref(),
        ],
        program,
    )
    .0
}

/// `["account-governance", realm, governed_account]`.
pub fn governance_address(program: &Pubkey, realm: &Pubkey, governed_account: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[
            b"account-governance",
            realm.as_ref(),
            governed_account.as_ref(),
        ],
        program,
    )
    .0
}

/// `["native-treasury", governance]`: the key that signs what the governance executes (a
/// fund's governance).
pub fn native_treasury_address(program: &Pubkey, governance: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"native-treasury", governance.as_ref()], program).0
}

/// `["governance", governance, mint, seed]`.
pub fn proposal_address(
    program: &Pubkey,
    governance: &Pubkey,
    mint: &Pubkey,
    seed: &Pubkey,
) -> Pubkey {
    Pubkey::find_program_address(
        &[
            AUTHORITY_SEED,
            governance.as_ref(),
            mint.as_ref(),
            seed.as_ref(),
        ],
        program,
    )
    .0
}

/// `["proposal-deposit", proposal, payer]`.
pub fn proposal_deposit_address(program: &Pubkey, proposal: &Pubkey, payer: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[b"proposal-deposit", proposal.as_ref(), payer.as_ref()],
        program,
    )
    .0
}

/// `["governance", proposal, option_index, index]`.
pub fn proposal_transaction_address(
    program: &Pubkey,
    proposal: &Pubkey,
    option: u8,
    index: u16,
) -> Pubkey {
    Pubkey::find_program_address(
        &[
            AUTHORITY_SEED,
            proposal.as_ref(),
            &[option],
            &index.to_le_bytes(),
        ],
        program,
    )
    .0
}

/// `["governance", proposal, token_owner_record]`.
pub fn vote_record_address(
    program: &Pubkey,
    proposal: &Pubkey,
    token_owner_record: &Pubkey,
) -> Pubkey {
    Pubkey::find_program_address(
        &[
            AUTHORITY_SEED,
            proposal.as_ref(),
            token_owner_record.as_ref(),
        ],
        program,
    )
    .0
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintMaxVoterWeightSource {
    /// Fraction of the supply, in 10^-10.
    SupplyFraction(u64),
    Absolute(u64),
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoverningTokenType {
    Liquid,
    Membership,
    Dormant,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoverningTokenConfigArgs {
    pub use_voter_weight_addin: bool,
    pub use_max_voter_weight_addin: bool,
    pub token_type: GoverningTokenType,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RealmConfigArgs {
    pub use_council_mint: bool,
    pub min_community_weight_to_create_governance: u64,
    pub community_mint_max_voter_weight_source: MintMaxVoterWeightSource,
    pub community_token_config_args: GoverningTokenConfigArgs,
    pub council_token_config_args: GoverningTokenConfigArgs,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteThreshold {
    YesVotePercentage(u8),
    QuorumPercentage(u8),
    Disabled,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteTipping {
    Strict,
    Early,
    Disabled,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GovernanceConfig {
    pub community_vote_threshold: VoteThreshold,
    pub min_community_weight_to_create_proposal: u64,
    pub min_transaction_hold_up_time: u32,
    pub voting_base_time: u32,
    pub community_vote_tipping: VoteTipping,
    pub council_vote_threshold: VoteThreshold,
    pub council_veto_vote_threshold: VoteThreshold,
    pub min_council_weight_to_create_proposal: u64,
    pub council_vote_tipping: VoteTipping,
    pub community_veto_vote_threshold: VoteThreshold,
    pub voting_cool_off_time: u32,
    pub deposit_exempt_proposal_count: u8,
}

/// `VoteType`: only single-choice proposals (the kind that carries executable transactions).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteType {
    SingleChoice,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteChoice {
    pub rank: u8,
    pub weight_percentage: u8,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum Vote {
    Approve(Vec<VoteChoice>),
    Deny,
    Abstain,
    Veto,
}

/// `AccountMetaData` of a proposal transaction.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AccountMetaData {
    pub pubkey: Pubkey,
    pub is_signer: bool,
    pub is_writable: bool,
}

/// `InstructionData`: one instruction of a proposal transaction, as `InsertTransaction` takes
/// it and `ExecuteTransaction` runs it (signed by the governance and its native treasury).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InstructionData {
    pub program_id: Pubkey,
    pub accounts: Vec<AccountMetaData>,
    pub data: Vec<u8>,
}

impl From<&Instruction> for InstructionData {
    fn from(ix: &Instruction) -> Self {
        Self {
            program_id: ix.program_id,
            accounts: ix
                .accounts
                .iter()
                .map(|m| AccountMetaData {
                    pubkey: m.pubkey,
                    is_signer: m.is_signer,
                    is_writable: m.is_writable,
                })
                .collect(),
            data: ix.data.clone(),
        }
    }
}

impl InstructionData {
    /// Borsh bytes (what `ifund propose` prints, base64).
    pub fn to_bytes(&self) -> Vec<u8> {
        borsh_vec(self)
    }

    /// Decodes [`InstructionData::to_bytes`]'s output; `None` if it is not exactly one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut rest = bytes;
        let d = Self::deserialize(&mut rest).ok()?;
        rest.is_empty().then_some(d)
    }
}

/// `GovernanceInstruction`, every variant up to `CreateNativeTreasury` in the program's order
/// so that each Borsh tag is the program's. Unit variants stand for instructions not used
/// here (their arguments are not needed: nothing here encodes them).
#[derive(AnchorSerialize, Clone, Debug, PartialEq, Eq)]
pub enum GovernanceInstruction {
    CreateRealm {
        name: String,
        config_args: RealmConfigArgs,
    },
    DepositGoverningTokens {
        amount: u64,
    },
    WithdrawGoverningTokens,
    SetGovernanceDelegate,
    CreateGovernance {
        config: GovernanceConfig,
    },
    CreateProgramGovernance,
    CreateProposal {
        name: String,
        description_link: String,
        vote_type: VoteType,
        options: Vec<String>,
        use_deny_option: bool,
        proposal_seed: Pubkey,
    },
    AddSignatory,
    /// Formerly `RemoveSignatory`; keeps the later tags in place.
    Legacy1,
    InsertTransaction {
        option_index: u8,
        index: u16,
        hold_up_time: u32,
        instructions: Vec<InstructionData>,
    },
    RemoveTransaction,
    CancelProposal,
    SignOffProposal,
    CastVote {
        vote: Vote,
    },
    FinalizeVote,
    RelinquishVote,
    ExecuteTransaction,
    CreateMintGovernance,
    CreateTokenGovernance,
    SetGovernanceConfig,
    FlagTransactionError,
    SetRealmAuthority,
    SetRealmConfig,
    CreateTokenOwnerRecord,
    UpdateProgramMetadata,
    CreateNativeTreasury,
}

fn borsh_vec(v: &impl AnchorSerialize) -> Vec<u8> {
    let mut out = vec![];
    v.serialize(&mut out).expect("borsh into a Vec");
    out
}

fn ix(program: &Pubkey, accounts: Vec<AccountMeta>, data: GovernanceInstruction) -> Instruction {
    Instruction {
        program_id: *program,
        accounts,
        data: borsh_vec(&data),
    }
}

fn system() -> AccountMeta {
    AccountMeta::new_readonly(anchor_lang::system_program::ID, false)
}

/// `CreateRealm` with a community mint (SPL Token) only, no council and no voter-weight
/// add-ins; `authority` becomes the realm authority.
pub fn create_realm(
    program: &Pubkey,
    authority: &Pubkey,
    community_mint: &Pubkey,
    payer: &Pubkey,
    name: &str,
    min_community_weight_to_create_governance: u64,
) -> Instruction {
    let realm = realm_address(program, name);
    let liquid = GoverningTokenConfigArgs {
        use_voter_weight_addin: false,
        use_max_voter_weight_addin: false,
        token_type: GoverningTokenType::Liquid,
    };
    ix(
        program,
        vec![
            AccountMeta::new(realm, false),
            AccountMeta::new_readonly(*authority, false),
            AccountMeta::new_readonly(*community_mint, false),
            AccountMeta::new(holding_address(program, &realm, community_mint), false),
            AccountMeta::new(*payer, true),
            system(),
            AccountMeta::new_readonly(anchor_spl::token::ID, false),
            AccountMeta::new_readonly(RENT_SYSVAR, false),
            AccountMeta::new(realm_config_address(program, &realm), false),
        ],
        GovernanceInstruction::CreateRealm {
            name: name.to_string(),
            config_args: RealmConfigArgs {
                use_council_mint: false,
                min_community_weight_to_create_governance,
                community_mint_max_voter_weight_source: MintMaxVoterWeightSource::SupplyFraction(
                    10_000_000_000,
                ),
                community_token_config_args: liquid,
                council_token_config_args: liquid,
            },
        },
    )
}

/// `DepositGoverningTokens` of `amount` from the token account `source` (owned by `owner`,
/// who also pays and becomes the record's owner).
pub fn deposit_governing_tokens(
    program: &Pubkey,
    realm: &Pubkey,
    mint: &Pubkey,
    source: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Instruction {
    ix(
        program,
        vec![
            AccountMeta::new_readonly(*realm, false),
            AccountMeta::new(holding_address(program, realm, mint), false),
            AccountMeta::new(*source, false),
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new(
                token_owner_record_address(program, realm, mint, owner),
                false,
            ),
            AccountMeta::new(*owner, true),
            system(),
            AccountMeta::new_readonly(anchor_spl::token::ID, false),
            AccountMeta::new_readonly(realm_config_address(program, realm), false),
        ],
        GovernanceInstruction::DepositGoverningTokens { amount },
    )
}

/// `CreateGovernance` of `governed_account` (any key: it only seeds the address), created by
/// the member `authority` through its token owner record for `mint`.
pub fn create_governance(
    program: &Pubkey,
    realm: &Pubkey,
    governed_account: &Pubkey,
    mint: &Pubkey,
    authority: &Pubkey,
    config: GovernanceConfig,
) -> Instruction {
    ix(
        program,
        vec![
            AccountMeta::new_readonly(*realm, false),
            AccountMeta::new(governance_address(program, realm, governed_account), false),
            AccountMeta::new_readonly(*governed_account, false),
            AccountMeta::new_readonly(
                token_owner_record_address(program, realm, mint, authority),
                false,
            ),
            AccountMeta::new(*authority, true),
            system(),
            AccountMeta::new_readonly(*authority, true),
            AccountMeta::new_readonly(realm_config_address(program, realm), false),
        ],
        GovernanceInstruction::CreateGovernance { config },
    )
}

/// `CreateNativeTreasury` of `governance`, `payer` paying.
pub fn create_native_treasury(
    program: &Pubkey,
    governance: &Pubkey,
    payer: &Pubkey,
) -> Instruction {
    ix(
        program,
        vec![
            AccountMeta::new_readonly(*governance, false),
            AccountMeta::new(native_treasury_address(program, governance), false),
            AccountMeta::new(*payer, true),
            system(),
        ],
        GovernanceInstruction::CreateNativeTreasury,
    )
}

/// Where a proposal lives: the realm, the governance, the governing token it is voted with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposalKeys {
    pub program: Pubkey,
    pub realm: Pubkey,
    pub governance: Pubkey,
    pub mint: Pubkey,
    pub proposal: Pubkey,
    /// The proposal owner's token owner record.
    pub owner_record: Pubkey,
}

impl ProposalKeys {
    /// The keys of the proposal `owner` creates with `seed`.
    pub fn new(
        program: &Pubkey,
        realm: &Pubkey,
        governance: &Pubkey,
        mint: &Pubkey,
        owner: &Pubkey,
        seed: &Pubkey,
    ) -> Self {
        Self {
            program: *program,
            realm: *realm,
            governance: *governance,
            mint: *mint,
            proposal: proposal_address(program, governance, mint, seed),
            owner_record: token_owner_record_address(program, realm, mint, owner),
        }
    }

    /// The proposal's transaction `index` (option 0, the single choice).
    pub fn transaction(&self, index: u16) -> Pubkey {
        proposal_transaction_address(&self.program, &self.proposal, 0, index)
    }
}

/// `CreateProposal`: a single-choice proposal with a deny option (the kind whose transactions
/// execute when approved), by the member `owner`, who pays.
pub fn create_proposal(
    k: &ProposalKeys,
    owner: &Pubkey,
    seed: &Pubkey,
    name: &str,
    description_link: &str,
) -> Instruction {
    ix(
        &k.program,
        vec![
            AccountMeta::new_readonly(k.realm, false),
            AccountMeta::new(k.proposal, false),
            AccountMeta::new(k.governance, false),
            AccountMeta::new(k.owner_record, false),
            AccountMeta::new_readonly(k.mint, false),
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new(*owner, true),
            system(),
            AccountMeta::new_readonly(realm_config_address(&k.program, &k.realm), false),
            AccountMeta::new(
                proposal_deposit_address(&k.program, &k.proposal, owner),
                false,
            ),
        ],
        GovernanceInstruction::CreateProposal {
            name: name.to_string(),
            description_link: description_link.to_string(),
            vote_type: VoteType::SingleChoice,
            options: vec!["Approve".to_string()],
            use_deny_option: true,
            proposal_seed: *seed,
        },
    )
}

/// `InsertTransaction` of `instructions` at `index` of the approve option, executable
/// `hold_up_time` seconds after the vote ends.
pub fn insert_transaction(
    k: &ProposalKeys,
    owner: &Pubkey,
    index: u16,
    hold_up_time: u32,
    instructions: Vec<InstructionData>,
) -> Instruction {
    ix(
        &k.program,
        vec![
            AccountMeta::new_readonly(k.governance, false),
            AccountMeta::new(k.proposal, false),
            AccountMeta::new_readonly(k.owner_record, false),
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new(k.transaction(index), false),
            AccountMeta::new(*owner, true),
            system(),
            AccountMeta::new_readonly(RENT_SYSVAR, false),
        ],
        GovernanceInstruction::InsertTransaction {
            option_index: 0,
            index,
            hold_up_time,
            instructions,
        },
    )
}

/// `SignOffProposal` by its owner (no other signatories): voting starts.
pub fn sign_off_proposal(k: &ProposalKeys, owner: &Pubkey) -> Instruction {
    ix(
        &k.program,
        vec![
            AccountMeta::new_readonly(k.realm, false),
            AccountMeta::new_readonly(k.governance, false),
            AccountMeta::new(k.proposal, false),
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new_readonly(k.owner_record, false),
        ],
        GovernanceInstruction::SignOffProposal,
    )
}

/// `CancelProposal` by its owner.
pub fn cancel_proposal(k: &ProposalKeys, owner: &Pubkey) -> Instruction {
    ix(
        &k.program,
        vec![
            AccountMeta::new_readonly(k.realm, false),
            AccountMeta::new(k.governance, false),
            AccountMeta::new(k.proposal, false),
            AccountMeta::new(k.owner_record, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        GovernanceInstruction::CancelProposal,
    )
}

/// `CastVote` by the member `voter` with its token owner record for the proposal's mint.
pub fn cast_vote(k: &ProposalKeys, voter: &Pubkey, vote: Vote) -> Instruction {
    let voter_record = token_owner_record_address(&k.program, &k.realm, &k.mint, voter);
    ix(
        &k.program,
        vec![
            AccountMeta::new_readonly(k.realm, false),
            AccountMeta::new(k.governance, false),
            AccountMeta::new(k.proposal, false),
            AccountMeta::new(k.owner_record, false),
            AccountMeta::new(voter_record, false),
            AccountMeta::new_readonly(*voter, true),
            AccountMeta::new(
                vote_record_address(&k.program, &k.proposal, &voter_record),
                false,
            ),
            AccountMeta::new_readonly(k.mint, false),
            AccountMeta::new(*voter, true),
            system(),
            AccountMeta::new_readonly(realm_config_address(&k.program, &k.realm), false),
        ],
        GovernanceInstruction::CastVote { vote },
    )
}

/// A full-weight approval.
pub fn approve() -> Vote {
    Vote::Approve(vec![VoteChoice {
        rank: 0,
        weight_percentage: 100,
    }])
}

/// `ExecuteTransaction` of the proposal's transaction `index`, holding `instruction`: its
/// program and accounts follow, the native treasury and governance as non-signers (the
/// program signs for them).
pub fn execute_transaction(
    k: &ProposalKeys,
    index: u16,
    instruction: &InstructionData,
) -> Instruction {
    let treasury = native_treasury_address(&k.program, &k.governance);
    let mut accounts = vec![
        AccountMeta::new_readonly(k.governance, false),
        AccountMeta::new(k.proposal, false),
        AccountMeta::new(k.transaction(index), false),
        AccountMeta::new_readonly(instruction.program_id, false),
    ];
    accounts.extend(instruction.accounts.iter().map(|m| AccountMeta {
        pubkey: m.pubkey,
        is_signer: m.is_signer && m.pubkey != treasury && m.pubkey != k.governance,
        is_writable: m.is_writable,
    }));
    ix(
        &k.program,
        accounts,
        GovernanceInstruction::ExecuteTransaction,
    )
}

/// What `ifund propose --submit` sends for a DAO: `CreateProposal` (by the member `owner`
/// with `seed`), one `InsertTransaction` per instruction in order (transaction `i` holds
/// instruction `i`, executable `hold_up_time` s after the vote), then `SignOffProposal`,
/// which opens the vote.
pub fn submit_instructions(
    k: &ProposalKeys,
    owner: &Pubkey,
    seed: &Pubkey,
    name: &str,
    hold_up_time: u32,
    instructions: &[InstructionData],
) -> Vec<Instruction> {
    let mut out = vec![create_proposal(k, owner, seed, name, "")];
    out.extend(
        instructions
            .iter()
            .enumerate()
            .map(|(i, d)| insert_transaction(k, owner, i as u16, hold_up_time, vec![d.clone()])),
    );
    out.push(sign_off_proposal(k, owner));
    out
}

/// `ProposalState`.
#[derive(AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalState {
    Draft,
    SigningOff,
    Voting,
    Succeeded,
    Executing,
    Completed,
    Cancelled,
    Defeated,
    ExecutingWithErrors,
    Vetoed,
}

/// A `ProposalV2` account's state (`None` if the data is not a proposal).
pub fn proposal_state(data: &[u8]) -> Option<ProposalState> {
    // account type (1), governance (32), governing token mint (32), then the state
    if *data.first()? != account_type::PROPOSAL_V2 {
        return None;
    }
    ProposalState::deserialize(&mut data.get(65..)?).ok()
}

/// The realm of a `GovernanceV2` account (`None` if the data is not one).
pub fn governance_realm(data: &[u8]) -> Option<Pubkey> {
    if *data.first()? != account_type::GOVERNANCE_V2 {
        return None;
    }
    Pubkey::try_from(data.get(1..33)?).ok()
}

/// The community mint of a `RealmV2` account (`None` if the data is not one).
pub fn realm_community_mint(data: &[u8]) -> Option<Pubkey> {
    if *data.first()? != account_type::REALM_V2 {
        return None;
    }
    Pubkey::try_from(data.get(1..33)?).ok()
}

/// The configuration of a `GovernanceV2` account (`None` if the data is not one).
pub fn governance_config(data: &[u8]) -> Option<GovernanceConfig> {
    if *data.first()? != account_type::GOVERNANCE_V2 {
        return None;
    }
    // account type (1), realm (32), governed account (32), reserved (4), then the config
    GovernanceConfig::deserialize(&mut data.get(69..)?).ok()
}
