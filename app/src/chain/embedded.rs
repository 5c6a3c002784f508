//! The embedded runtime: `solana-program-test`'s bank in-process, the fund program run
//! natively (`insurance_fund_client::embedded`), SPL Token and Token-2022 as their real SBF
//! binaries. Time moves only when the caller says so ([`EmbeddedChain::set_time`]).

use super::{Chain, ChainError, TxResult};
use anchor_lang::prelude::{Clock, Pubkey};
use anyhow::Context;
use solana_account::{Account, AccountSharedData};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_program_test::{BanksClientError, ProgramTestContext};
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use std::collections::{HashMap, HashSet};

pub struct EmbeddedChain {
    rt: tokio::runtime::Runtime,
    ctx: ProgramTestContext,
    /// Signatures already processed: a byte-identical transaction needs a new blockhash.
    seen: HashSet<[u8; 64]>,
    /// The blockhash handed out has been used by a transaction that was then refused as a
    /// duplicate: move one slot on before handing out another.
    stale: bool,
    /// Accounts read since the bank last changed: every change goes through this type
    /// (a transaction or a clock change forgets them all, `set_account` its own), so a read
    /// in between is answered here instead of by the banks client (a simulation reads the
    /// fund at every keeper look and sends far less often).
    read: HashMap<Pubkey, Option<Account>>,
}

impl EmbeddedChain {
    /// Starts a bank with the fund program loaded natively, at the genesis clock.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(insurance_fund_client::embedded::program_test())
    }

    /// Starts a bank from `pt` (e.g. with the fund as its SBF binary, or other programs
    /// beside it: the tests load the real Squads v4 and SPL Governance this way).
    pub fn start_with(pt: solana_program_test::ProgramTest) -> anyhow::Result<Self> {
        // The runtime logs every instruction at debug level unless told otherwise.
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the embedded runtime's executor")?;
        let ctx = rt.block_on(pt.start_with_context());
        Ok(Self {
            rt,
            ctx,
            seen: HashSet::new(),
            stale: false,
            read: HashMap::new(),
        })
    }

    /// The bank's funded genesis keypair (mint authority of every simulated token).
    pub fn payer(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
    }

    /// Moves to the next slot (a fresh blockhash) and sets the clock to `unix_timestamp`.
    pub fn set_time(&mut self, unix_timestamp: i64) -> anyhow::Result<()> {
        self.read.clear();
        let mut clock = self.clock()?;
        self.ctx
            .warp_to_slot(clock.slot + 1)
            .map_err(|e| anyhow::anyhow!("warping the embedded bank: {e:?}"))?;
        clock.slot += 1;
        clock.unix_timestamp = unix_timestamp;
        self.ctx.set_sysvar(&clock);
        // the warp records a new blockhash but leaves the context's: take it, or after 150
        // warps the context's blockhash is too old to be found
        self.ctx.last_blockhash = self
            .rt
            .block_on(self.ctx.banks_client.get_latest_blockhash())
            .context("reading the embedded runtime's blockhash")?;
        self.stale = false;
        Ok(())
    }

    /// Sets the clock's `unix_timestamp` in the current slot, without moving to a new slot:
    /// a slot change freezes and hashes the bank, which a simulation stepping every hour
    /// need not pay for. A transaction byte-identical to an earlier one still gets a new
    /// slot (and blockhash) when it is sent (`send` retries on the duplicate).
    /// Returns the clock as set.
    pub fn set_clock(&mut self, unix_timestamp: i64) -> anyhow::Result<Clock> {
        self.read.clear();
        let mut clock = self.clock()?;
        clock.unix_timestamp = unix_timestamp;
        self.ctx.set_sysvar(&clock);
        Ok(clock)
    }

    /// Writes an account directly (oracle price accounts in simulations).
    pub fn set_account(&mut self, key: &Pubkey, account: Account) {
        self.read.remove(key);
        self.ctx.set_account(key, &AccountSharedData::from(account));
    }

    fn fresh_blockhash(&mut self) -> anyhow::Result<Hash> {
        let now = self.clock()?.unix_timestamp;
        self.set_time(now)?;
        Ok(self.ctx.last_blockhash)
    }
}

impl Chain for EmbeddedChain {
    fn describe(&self) -> String {
        "the embedded runtime".into()
    }

    fn get_account(&mut self, key: &Pubkey) -> anyhow::Result<Option<Account>> {
        if let Some(account) = self.read.get(key) {
            return Ok(account.clone());
        }
        let account = self
            .rt
            .block_on(self.ctx.banks_client.get_account(*key))
            .with_context(|| format!("reading {key} from the embedded runtime"))?;
        self.read.insert(*key, account.clone());
        Ok(account)
    }

    fn clock(&mut self) -> anyhow::Result<Clock> {
        self.rt
            .block_on(self.ctx.banks_client.get_sysvar::<Clock>())
            .context("reading the embedded runtime's clock")
    }

    fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        if self.stale {
            return self
                .fresh_blockhash()
                .map_err(|e| ChainError::Unsupported(e.to_string()));
        }
        Ok(self.ctx.last_blockhash)
    }

    fn send_transaction(&mut self, tx: &Transaction) -> Result<TxResult, ChainError> {
        self.send_versioned_transaction(&VersionedTransaction::from(tx.clone()))
    }

    fn send_versioned_transaction(
        &mut self,
        tx: &VersionedTransaction,
    ) -> Result<TxResult, ChainError> {
        self.read.clear();
        let sig = tx.signatures.first().copied().unwrap_or_default();
        let bytes: [u8; 64] = sig.into();
        if !self.seen.insert(bytes) {
            self.stale = true;
            return Err(ChainError::BlockhashExpired);
        }
        let res = self.rt.block_on(
            self.ctx
                .banks_client
                .process_transaction_with_metadata(tx.clone()),
        );
        match res {
            // the bank's background ticks retire blockhashes with wall-clock time (150 of
            // them), however still the simulated clock stands: sign again with a fresh one
            Ok(r) if r.result == Err(TransactionError::BlockhashNotFound) => {
                self.stale = true;
                Err(ChainError::BlockhashExpired)
            }
            Err(BanksClientError::TransactionError(TransactionError::BlockhashNotFound)) => {
                self.stale = true;
                Err(ChainError::BlockhashExpired)
            }
            Ok(r) => Ok(TxResult {
                signature: sig.to_string(),
                result: r.result,
                logs: r.metadata.map(|m| m.log_messages).unwrap_or_default(),
            }),
            Err(BanksClientError::TransactionError(e)) => Ok(TxResult {
                signature: sig.to_string(),
                result: Err(e),
                logs: vec![],
            }),
            Err(e) => Err(ChainError::Unreachable(format!("embedded runtime: {e}"))),
        }
    }

    fn minimum_balance(&mut self, data_len: usize) -> anyhow::Result<u64> {
        let rent = self
            .rt
            .block_on(self.ctx.banks_client.get_rent())
            .context("reading rent")?;
        Ok(rent.minimum_balance(data_len))
    }
}
