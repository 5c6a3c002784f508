//! All chain access goes through [`Chain`]: read accounts, the clock and a blockhash, and send
//! a signed transaction. Three implementations:
//!
//! - [`EmbeddedChain`]: the real program run natively in `solana-program-test`'s bank, with
//!   SPL Token and Token-2022 (the simulator's and the tests' runtime);
//! - [`RpcChain`]: a cluster over JSON-RPC (`solana-rpc-client`), at a commitment;
//! - [`SnapshotChain`]: the accounts a simulation saved, read-only (for `ifund status`).
//!
//! Keeper and status code take `&mut dyn Chain` and never know which one they talk to.
//! [`send`] is the one way instructions become transactions: compute-budget and priority-fee
//! instructions first, a fresh blockhash, and a retry when the blockhash expired.

mod embedded;
mod rpc;
mod snapshot;

pub use embedded::EmbeddedChain;
pub use rpc::RpcChain;
pub use snapshot::{Snapshot, SnapshotChain};

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use solana_account::Account;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

/// A chain-access failure that is not the transaction's own result.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The blockhash the transaction was signed with is no longer valid: sign again.
    #[error("the transaction's blockhash expired")]
    BlockhashExpired,
    /// The cluster could not be reached or answered with an error.
    #[error("{0}")]
    Unreachable(String),
    /// This chain cannot do that (e.g. send to a snapshot, warp a cluster).
    #[error("{0}")]
    Unsupported(String),
}

/// What a processed transaction left behind.
#[derive(Debug, Clone)]
pub struct TxResult {
    pub signature: String,
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
}

impl TxResult {
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The fund program's error name when the failure is one of its `FundError`s.
    pub fn fund_error(&self) -> Option<String> {
        use anchor_lang::solana_program::instruction::error::InstructionError;
        match &self.result {
            Err(TransactionError::InstructionError(_, InstructionError::Custom(code))) => {
                fund_error_name(*code)
            }
            _ => None,
        }
    }

    /// A one-line description of the outcome.
    pub fn describe(&self) -> String {
        match (&self.result, self.fund_error()) {
            (Ok(()), _) => "ok".into(),
            (Err(_), Some(name)) => format!("failed: {name}"),
            (Err(e), None) => format!("failed: {e}"),
        }
    }
}

/// `FundError` name (and message) of an Anchor custom error code, read from the committed
/// IDL (CI keeps it in step with the program), or `None` for any other code.
pub fn fund_error_name(code: u32) -> Option<String> {
    static IDL: &str = include_str!("../../../idl/insurance_fund.json");
    let idl: serde_json::Value = serde_json::from_str(IDL).ok()?;
    idl.get("errors")?.as_array()?.iter().find_map(|e| {
        (e.get("code")?.as_u64()? == u64::from(code)).then(|| {
            let name = e.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            format!("{name} ({code})")
        })
    })
}

/// Reads and writes a Solana chain.
pub trait Chain {
    /// Where this chain is, for messages ("embedded runtime", a URL, a snapshot path).
    fn describe(&self) -> String;
    fn get_account(&mut self, key: &Pubkey) -> anyhow::Result<Option<Account>>;
    fn get_accounts(&mut self, keys: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        keys.iter().map(|k| self.get_account(k)).collect()
    }
    fn clock(&mut self) -> anyhow::Result<Clock>;
    fn latest_blockhash(&mut self) -> Result<Hash, ChainError>;
    /// Sends a signed transaction and waits until it is processed at the chain's commitment.
    /// `Ok` carries the transaction's own result (which may be a failure).
    fn send_transaction(&mut self, tx: &Transaction) -> Result<TxResult, ChainError>;
    /// [`Chain::send_transaction`] of a versioned (v0) transaction, whose accounts may come
    /// from address lookup tables (an aggregator's route); chains that cannot send refuse.
    fn send_versioned_transaction(
        &mut self,
        _tx: &VersionedTransaction,
    ) -> Result<TxResult, ChainError> {
        Err(ChainError::Unsupported(format!(
            "{} cannot send versioned transactions",
            self.describe()
        )))
    }
    fn minimum_balance(&mut self, data_len: usize) -> anyhow::Result<u64>;
    /// Accounts of `program` whose data holds each `(offset, bytes)`; `None` when this chain
    /// cannot list accounts (the embedded runtime and snapshots cannot).
    fn find_program_accounts(
        &mut self,
        _program: &Pubkey,
        _filters: &[(usize, Vec<u8>)],
    ) -> anyhow::Result<Option<Vec<(Pubkey, Account)>>> {
        Ok(None)
    }
}

/// Compute budget and priority fee put in front of every transaction [`send`] builds.
#[derive(Clone, Copy, Debug)]
pub struct SendOptions {
    /// `SetComputeUnitLimit`; 0 leaves the default (200k per instruction).
    pub compute_unit_limit: u32,
    /// `SetComputeUnitPrice` in micro-lamports per unit; 0 adds no priority fee.
    pub priority_micro_lamports: u64,
    /// How many times to sign again after an expired blockhash.
    pub retries: u32,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self {
            compute_unit_limit: 400_000,
            priority_micro_lamports: 0,
            retries: 3,
        }
    }
}

impl SendOptions {
    /// Lamports this transaction pays beyond the 5,000-lamport signature fee(s).
    pub fn priority_fee_lamports(&self) -> u64 {
        let units = if self.compute_unit_limit == 0 {
            200_000
        } else {
            u64::from(self.compute_unit_limit)
        };
        // micro-lamports per unit * units, rounded up (as the runtime does)
        (u128::from(self.priority_micro_lamports) * u128::from(units)).div_ceil(1_000_000) as u64
    }
}

/// `ixs` with the budget instructions of `opts` first: what [`send`] signs.
fn budgeted(ixs: &[Instruction], opts: &SendOptions) -> Vec<Instruction> {
    let mut all = Vec::with_capacity(ixs.len() + 2);
    if opts.compute_unit_limit > 0 {
        all.push(ComputeBudgetInstruction::set_compute_unit_limit(
            opts.compute_unit_limit,
        ));
    }
    if opts.priority_micro_lamports > 0 {
        all.push(ComputeBudgetInstruction::set_compute_unit_price(
            opts.priority_micro_lamports,
        ));
    }
    all.extend_from_slice(ixs);
    all
}

/// The largest transaction a cluster accepts, in bytes on the wire.
pub const MAX_TRANSACTION_BYTES: usize = 1232;

/// Bytes on the wire of the transaction [`send`] would build from `ixs`, paid by `payer`.
pub fn wire_size(
    payer: &anchor_lang::prelude::Pubkey,
    ixs: &[Instruction],
    opts: &SendOptions,
) -> usize {
    let tx = Transaction::new_with_payer(&budgeted(ixs, opts), Some(payer));
    bincode::serialized_size(&tx).map_or(usize::MAX, |n| n as usize)
}

/// Signs `ixs` (with the budget instructions of `opts` first) by `payer` and `signers`, sends,
/// and signs again with a fresh blockhash when the blockhash expired.
pub fn send(
    chain: &mut dyn Chain,
    payer: &Keypair,
    signers: &[&Keypair],
    ixs: &[Instruction],
    opts: &SendOptions,
) -> anyhow::Result<TxResult> {
    let all = budgeted(ixs, opts);
    let mut keys: Vec<&Keypair> = vec![payer];
    keys.extend(
        signers
            .iter()
            .copied()
            .filter(|k| k.pubkey() != payer.pubkey()),
    );
    let mut attempt = 0;
    loop {
        let blockhash = chain.latest_blockhash()?;
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, blockhash);
        match chain.send_transaction(&tx) {
            Ok(r) => return Ok(r),
            Err(ChainError::BlockhashExpired) if attempt < opts.retries => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Address lookup table accounts: the program's 56-byte header, then the addresses.
const LOOKUP_TABLE_META_SIZE: usize = 56;

/// The address lookup tables at `keys`, read from `chain` (the addresses each holds now).
pub fn load_lookup_tables(
    chain: &mut dyn Chain,
    keys: &[Pubkey],
) -> anyhow::Result<Vec<solana_message::AddressLookupTableAccount>> {
    let owner = anchor_lang::pubkey!("AddressLookupTab1e1111111111111111111111111");
    let accounts = chain.get_accounts(keys)?;
    keys.iter()
        .zip(accounts)
        .map(|(key, account)| {
            let account = account
                .ok_or_else(|| anyhow::anyhow!("address lookup table {key}: no such account"))?;
            anyhow::ensure!(
                account.owner == owner,
                "address lookup table {key}: owned by {}, not the lookup table program",
                account.owner
            );
            let body = account
                .data
                .get(LOOKUP_TABLE_META_SIZE..)
                .filter(|b| b.len() % 32 == 0)
                .ok_or_else(|| anyhow::anyhow!("address lookup table {key}: malformed data"))?;
            Ok(solana_message::AddressLookupTableAccount {
                key: *key,
                addresses: body
                    .chunks_exact(32)
                    .map(|c| Pubkey::try_from(c).expect("32 bytes"))
                    .collect(),
            })
        })
        .collect()
}

/// [`send`] as a v0 transaction whose accounts may be looked up in `lookup_tables` (read from
/// `chain` once): how an aggregator's route fits in one transaction.
pub fn send_v0(
    chain: &mut dyn Chain,
    payer: &Keypair,
    ixs: &[Instruction],
    lookup_tables: &[Pubkey],
    opts: &SendOptions,
) -> anyhow::Result<TxResult> {
    use solana_message::{v0, VersionedMessage};
    let all = budgeted(ixs, opts);
    let tables = load_lookup_tables(chain, lookup_tables)?;
    let mut attempt = 0;
    loop {
        let blockhash = chain.latest_blockhash()?;
        let message = v0::Message::try_compile(&payer.pubkey(), &all, &tables, blockhash)
            .map_err(|e| anyhow::anyhow!("compiling the v0 message: {e}"))?;
        let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &[payer])
            .map_err(|e| anyhow::anyhow!("signing the v0 transaction: {e}"))?;
        let size = bincode::serialized_size(&tx).map_or(usize::MAX, |n| n as usize);
        anyhow::ensure!(
            size <= MAX_TRANSACTION_BYTES,
            "the v0 transaction is {size} bytes, over the {MAX_TRANSACTION_BYTES} a cluster accepts"
        );
        match chain.send_versioned_transaction(&tx) {
            Ok(r) => return Ok(r),
            Err(ChainError::BlockhashExpired) if attempt < opts.retries => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The fund account at `fund`, decoded.
pub fn load_fund(
    chain: &mut dyn Chain,
    fund: &Pubkey,
) -> anyhow::Result<Box<insurance_fund::state::Fund>> {
    use anyhow::Context;
    let account = chain
        .get_account(fund)?
        .with_context(|| format!("no account at {fund} on {}", chain.describe()))?;
    anyhow::ensure!(
        account.owner == insurance_fund::ID,
        "{fund} is owned by {}, not the insurance fund program {}",
        account.owner,
        insurance_fund::ID
    );
    insurance_fund_client::decode::fund(&account.data)
        .with_context(|| format!("account {fund} is not a fund"))
}
