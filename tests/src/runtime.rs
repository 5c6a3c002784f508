//! The runtime: program loading in either mode, sending transactions, errors and events.

use anchor_lang::prelude::*;
use anchor_lang::{solana_program::instruction::Instruction, Discriminator};
use base64::Engine;
use insurance_fund::error::FundError;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_program_test::{
    processor, BanksClientError, EbpfVm, InvokeContext, ProgramTest, ProgramTestContext,
};
use solana_signer::Signer;
use solana_transaction::{versioned::VersionedTransaction, Transaction};
use solana_transaction_error::TransactionError;
use std::collections::HashSet;

pub use anchor_lang::solana_program::instruction::error::InstructionError;

/// How the program under test runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Native,
    Sbf,
}

/// `INSURANCE_FUND_TEST_MODE=sbf` selects the SBF binary; anything else (or unset) is native.
pub fn mode() -> Mode {
    match std::env::var("INSURANCE_FUND_TEST_MODE").as_deref() {
        Ok("sbf") => Mode::Sbf,
        _ => Mode::Native,
    }
}

// The one `unsafe` of the harness, the lifetime shim that lets `processor!` call an Anchor
// `entry`, is shared with the app: `insurance_fund_client::embedded::call_anchor_entry`.
use insurance_fund_client::embedded::call_anchor_entry;

/// The insurance fund, natively.
use insurance_fund_client::embedded::fund_entry;

/// The test-only liquidation program (`tests/programs/mock_liquidator`), always natively.
fn mock_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    call_anchor_entry(mock_liquidator::entry, program_id, accounts, data)
}

/// The test-only governance program (`tests/programs/mock_governance`), always natively.
fn governance_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    call_anchor_entry(mock_governance::entry, program_id, accounts, data)
}

/// A `ProgramTest` with the fund program loaded in the selected mode, and the mock
/// liquidator and mock governance (CPI callers of the fund, never deployed, so they have no
/// `.so`) loaded natively in both modes.
pub fn program_test() -> ProgramTest {
    let mut pt = match mode() {
        Mode::Native => {
            let mut pt =
                ProgramTest::new("insurance_fund", insurance_fund::ID, processor!(fund_entry));
            pt.prefer_bpf(false);
            pt
        }
        Mode::Sbf => {
            assert!(
                std::env::var_os("SBF_OUT_DIR").is_some()
                    || std::env::var_os("BPF_OUT_DIR").is_some(),
                "SBF mode needs SBF_OUT_DIR pointing at the directory holding insurance_fund.so \
                 (scripts/test.sh sets it to target/deploy)"
            );
            let mut pt = ProgramTest::new("insurance_fund", insurance_fund::ID, None);
            pt.prefer_bpf(true);
            pt
        }
    };
    // `add_builtin_program` (unlike `add_program`, which would look for a `.so` in SBF mode)
    // takes the bare function; the annotation is its type, `BuiltinFunctionWithContext`,
    // which `processor!`'s closure needs to infer its signature.
    type Builtin = fn(*mut EbpfVm<InvokeContext<'static, 'static>>, u64, u64, u64, u64, u64);
    let mock: Option<Builtin> = processor!(mock_entry);
    pt.add_builtin_program(
        "mock_liquidator",
        mock_liquidator::ID,
        mock.expect("processor! yields Some"),
    );
    let governance: Option<Builtin> = processor!(governance_entry);
    pt.add_builtin_program(
        "mock_governance",
        mock_governance::ID,
        governance.expect("processor! yields Some"),
    );
    pt.set_compute_max_units(1_400_000);
    pt
}

/// A new keypair, distinct from every other this process made, and the same in every run
/// of the same sequence of calls (a counter, not the OS's randomness): the compute-unit
/// benchmark derives its PDAs from such keys, and a program that searches a PDA's bump on
/// chain spends a different number of units for each key, so random keys would move
/// `docs/performance.md` between runs. The secret is the counter under a fixed tag; these
/// keys sign only inside the test runtime.
pub fn new_keypair() -> Keypair {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut secret = *b"insurance-fund-tests-key........";
    secret[24..].copy_from_slice(&n.to_le_bytes());
    Keypair::new_from_array(secret)
}

/// The signers of a transaction `payer` pays for: the payer first, then `signers` (without the
/// payer again).
pub fn with_payer<'a>(payer: &'a Keypair, signers: &[&'a Keypair]) -> Vec<&'a Keypair> {
    let mut all = vec![payer];
    all.extend(
        signers
            .iter()
            .copied()
            .filter(|k| k.pubkey() != payer.pubkey()),
    );
    all
}

/// What a processed transaction left behind.
#[derive(Debug)]
pub struct Outcome {
    pub result: std::result::Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub compute_units: u64,
    /// Return data set by the last instruction that set any, with the program that set it.
    pub return_data: Option<(Pubkey, Vec<u8>)>,
}

impl Outcome {
    /// Panics with the logs if the transaction failed.
    #[track_caller]
    pub fn unwrap(self) -> Self {
        if let Err(e) = &self.result {
            panic!("transaction failed: {e:?}\n{}", self.logs.join("\n"));
        }
        self
    }

    /// Units the fund program itself consumed (SBF mode), from the runtime's
    /// `Program <id> consumed N of M compute units` lines at the top level.
    pub fn program_units(&self) -> Option<u64> {
        let prefix = format!("Program {} consumed ", insurance_fund::ID);
        self.logs.iter().find_map(|l| {
            l.strip_prefix(&prefix)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
    }

    /// The fund program's return data, decoded as `T`.
    pub fn returned<T: AnchorDeserialize>(&self) -> T {
        let (program, data) = self.return_data.as_ref().expect("return data");
        assert_eq!(*program, insurance_fund::ID);
        T::deserialize(&mut &data[..]).expect("return data decodes")
    }

    /// Every event of type `T` in the logs (`Program data:` lines), in order.
    pub fn events<T: AnchorDeserialize + Discriminator>(&self) -> Vec<T> {
        self.logs
            .iter()
            .filter_map(|l| l.strip_prefix("Program data: "))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .filter(|bytes| bytes.starts_with(T::DISCRIMINATOR))
            .map(|bytes| {
                T::deserialize(&mut &bytes[T::DISCRIMINATOR.len()..]).expect("event decodes")
            })
            .collect()
    }
}

/// The bank plus bookkeeping the tests share.
pub struct TestContext {
    pub ctx: ProgramTestContext,
    sent: HashSet<Vec<u8>>,
}

impl TestContext {
    pub async fn start(pt: ProgramTest) -> Self {
        Self {
            ctx: pt.start_with_context().await,
            sent: HashSet::new(),
        }
    }

    pub fn payer(&self) -> &Keypair {
        &self.ctx.payer
    }

    pub fn payer_key(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// Signs with the payer plus `signers` and processes the transaction. A transaction
    /// byte-identical to an earlier one gets a fresh blockhash first, so repeating an
    /// instruction is never mistaken for a replay.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Outcome {
        let payer = self.ctx.payer.insecure_clone();
        let all = with_payer(&payer, signers);
        let mut tx = Transaction::new_with_payer(ixs, Some(&self.ctx.payer.pubkey()));
        tx.sign(&all, self.ctx.last_blockhash);
        while !self.sent.insert(tx.message_data()) {
            let hash = self
                .ctx
                .get_new_latest_blockhash()
                .await
                .expect("new blockhash");
            tx.sign(&all, hash);
        }
        let mut out = self.process(tx.clone()).await;
        // The bank expires blockhashes by its background ticks, which run on wall time: on a
        // loaded machine a slow test outlives its blockhash. Such a transaction was never
        // processed (nothing changed), so it is re-signed with a new blockhash and sent again.
        while out.result == Err(TransactionError::BlockhashNotFound) {
            let hash = self
                .ctx
                .get_new_latest_blockhash()
                .await
                .expect("new blockhash");
            self.ctx.last_blockhash = hash;
            tx.sign(&all, hash);
            self.sent.insert(tx.message_data());
            out = self.process(tx.clone()).await;
        }
        out
    }

    /// Processes a signed (legacy or versioned) transaction and collects what it left.
    pub async fn process(&mut self, tx: impl Into<VersionedTransaction>) -> Outcome {
        let res = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await;
        match res {
            Ok(r) => {
                let (logs, compute_units, return_data) = r
                    .metadata
                    .map(|m| {
                        let rd = m.return_data.map(|d| (d.program_id, d.data));
                        (m.log_messages, m.compute_units_consumed, rd)
                    })
                    .unwrap_or_default();
                Outcome {
                    result: r.result,
                    logs,
                    compute_units,
                    return_data,
                }
            }
            Err(BanksClientError::TransactionError(e)) => Outcome {
                result: Err(e),
                logs: vec![],
                compute_units: 0,
                return_data: None,
            },
            Err(e) => panic!("banks client: {e:?}"),
        }
    }

    /// Writes an (already active) address lookup table holding `addresses`, owned by the
    /// lookup-table program, and returns its key.
    pub fn set_lookup_table(&mut self, addresses: &[Pubkey]) -> Pubkey {
        use solana_address_lookup_table_interface::state::{AddressLookupTable, LookupTableMeta};
        let key = Pubkey::new_unique();
        let table = AddressLookupTable {
            meta: LookupTableMeta {
                deactivation_slot: u64::MAX,
                last_extended_slot: 0,
                last_extended_slot_start_index: 0,
                authority: Some(self.payer_key()),
                _padding: 0,
            },
            addresses: std::borrow::Cow::Borrowed(addresses),
        };
        let data = table.serialize_for_tests().unwrap();
        let account = Account {
            lamports: 1_000_000_000,
            data,
            owner: solana_address_lookup_table_interface::program::ID,
            executable: false,
            rent_epoch: 0,
        };
        self.ctx.set_account(&key, &account.into());
        key
    }

    /// A v0 transaction of `ixs` (payer signs) resolving accounts through `tables`.
    pub fn v0_transaction(
        &self,
        ixs: &[Instruction],
        tables: &[(Pubkey, Vec<Pubkey>)],
    ) -> VersionedTransaction {
        let lookups: Vec<AddressLookupTableAccount> = tables
            .iter()
            .map(|(key, addresses)| AddressLookupTableAccount {
                key: *key,
                addresses: addresses.clone(),
            })
            .collect();
        let message =
            v0::Message::try_compile(&self.payer_key(), ixs, &lookups, self.ctx.last_blockhash)
                .unwrap();
        VersionedTransaction::try_new(VersionedMessage::V0(message), &[&self.ctx.payer]).unwrap()
    }

    /// Sends and panics (with the logs) on failure.
    pub async fn send_ok(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Outcome {
        self.send(ixs, signers).await.unwrap()
    }

    /// The rent-exempt minimum of an account of `len` bytes.
    pub async fn rent_exempt(&mut self, len: usize) -> u64 {
        let rent = self.ctx.banks_client.get_rent().await.expect("get_rent");
        rent.minimum_balance(len)
    }

    pub async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .expect("get_account")
    }

    /// The one event of type `T` the transaction emitted. In SBF mode the event must be in
    /// the logs (the test fails otherwise); in native mode Anchor's `emit!` writes nothing,
    /// so this returns `None` and the caller's assertions on the event are skipped there.
    #[track_caller]
    pub fn event<T: AnchorDeserialize + Discriminator>(&self, out: &Outcome) -> Option<T> {
        match mode() {
            Mode::Native => None,
            Mode::Sbf => {
                let mut events = out.events::<T>();
                assert_eq!(
                    events.len(),
                    1,
                    "expected exactly one {} event\n{}",
                    std::any::type_name::<T>(),
                    out.logs.join("\n")
                );
                events.pop()
            }
        }
    }
}

/// Bytes on the wire of a signed transaction (Solana's packet limit is 1,232).
pub fn wire_size(tx: &VersionedTransaction) -> usize {
    // shortvec signature count (one byte below 128 signatures) + signatures + message
    1 + 64 * tx.signatures.len() + tx.message.serialize().len()
}

/// The numeric code Anchor gives a `FundError`.
pub fn fund_error_code(e: FundError) -> u32 {
    e as u32 + anchor_lang::error::ERROR_CODE_OFFSET
}

/// Asserts the transaction failed in some instruction with exactly `expected`.
#[track_caller]
pub fn assert_fund_error(out: &Outcome, expected: FundError) {
    let code = fund_error_code(expected);
    match &out.result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(c))) if *c == code => {}
        other => panic!(
            "expected {expected:?} ({code}), got {other:?}\n{}",
            out.logs.join("\n")
        ),
    }
}

/// Asserts the transaction failed in its instruction `index` with exactly `expected`.
#[track_caller]
pub fn assert_fund_error_at(out: &Outcome, index: u8, expected: FundError) {
    let code = fund_error_code(expected);
    match &out.result {
        Err(TransactionError::InstructionError(k, InstructionError::Custom(c)))
            if *c == code && *k == index => {}
        other => panic!(
            "expected {expected:?} ({code}) in instruction {index}, got {other:?}\n{}",
            out.logs.join("\n")
        ),
    }
}

/// Asserts the transaction failed with exactly this instruction error (for errors raised by
/// Anchor, the runtime or another program).
#[track_caller]
pub fn assert_instruction_error(out: &Outcome, expected: InstructionError) {
    match &out.result {
        Err(TransactionError::InstructionError(_, e)) if *e == expected => {}
        other => panic!(
            "expected {expected:?}, got {other:?}\n{}",
            out.logs.join("\n")
        ),
    }
}

/// Asserts the transaction failed with Anchor's own error `code`.
#[track_caller]
pub fn assert_anchor_error(out: &Outcome, code: anchor_lang::error::ErrorCode) {
    assert_instruction_error(out, InstructionError::Custom(code as u32));
}

/// Asserts the transaction failed with Anchor's own error `code`, naming `what` (e.g. the
/// instruction under attack) when it did not.
#[track_caller]
pub fn expect_anchor_error(out: &Outcome, code: anchor_lang::error::ErrorCode, what: &str) {
    match &out.result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(c)))
            if *c == code as u32 => {}
        other => panic!(
            "{what}: expected {code:?} ({}), got {other:?}\n{}",
            code as u32,
            out.logs.join("\n")
        ),
    }
}
