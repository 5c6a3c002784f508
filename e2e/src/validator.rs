//! The validator: `solana-test-validator` started in-process with the fund's `.so` as an
//! upgradeable program, plus reads and writes the test needs while it runs.
//!
//! Writing accounts at run time (refreshing Pyth prices) and moving the clock (the timelock):
//! a running test validator has no RPC for either (`--account` and `--warp-slot` act at
//! genesis only, and a restart from the same ledger would lose nothing but cost a restart per
//! price update). Started in-process, `TestValidator::bank_forks()` hands out the bank the
//! leader is filling, so the test writes into it exactly as `solana-program-test`'s
//! `set_account` does: `Bank::store_account` (the price account keeps the Pyth receiver as its
//! owner, so the fund's owner check is the real one), and `Bank::set_sysvar_for_tests` for the
//! clock. A bank whose freeze has started refuses writes (`store_account` asserts it), so a
//! write that races the end of a slot is retried on the next bank. Later banks inherit the
//! warped clock: a bank's clock never goes back (`Bank::update_clock` keeps the parent's
//! timestamp when the vote-based estimate is older), so the clock then stands still until
//! the wall clock catches up with it.

use crate::accounts;
use anyhow::{bail, Context};
use solana_account::{AccountSharedData, ReadableAccount};
use solana_clock::Clock;
use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_rpc_client::rpc_client::RpcClient;
use solana_signer::Signer;
use solana_test_validator::{TestValidator, TestValidatorGenesis, UpgradeableProgramInfo};
use solana_transaction::Transaction;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Validator {
    pub inner: TestValidator,
    pub rpc: RpcClient,
    pub url: String,
}

/// A base port for this process's validator: ports `base..base + 100` (gossip, TPU, RPC, ...).
/// Spread by process id so two suites on one machine rarely meet.
pub fn port_base() -> u16 {
    20_000 + (std::process::id() % 300) as u16 * 100
}

impl Validator {
    /// Starts a validator with `program_so` at `program_id` (upgradeable, no authority) and
    /// `accounts` in genesis. Must not be called inside a tokio runtime.
    pub fn start(
        program_id: Pubkey,
        program_so: &Path,
        accounts: Vec<(Pubkey, AccountSharedData)>,
    ) -> anyhow::Result<Self> {
        if !program_so.exists() {
            bail!(
                "{} is missing: build it first (bash scripts/test.sh, or ../shared/sbf/build-sbf.sh programs/insurance_fund target/deploy)",
                program_so.display()
            );
        }
        let base = port_base();
        let mut genesis = TestValidatorGenesis::default();
        genesis
            .gossip_port(base)
            .port_range((base, base + 100))
            .add_upgradeable_programs_with_path(&[UpgradeableProgramInfo {
                program_id,
                loader: solana_sdk_ids_bpf_loader_upgradeable(),
                upgrade_authority: Pubkey::default(),
                program_path: program_so.to_path_buf(),
            }])
            .add_accounts(accounts);
        let (inner, _mint_keypair) = genesis.start();
        let url = inner.rpc_url();
        let rpc = RpcClient::new_with_commitment(url.clone(), CommitmentConfig::confirmed());
        Ok(Self { inner, rpc, url })
    }

    /// Writes `account` at `key` into the bank being filled, retrying on the next one when
    /// that bank's freeze has started.
    pub fn set_account(&self, key: &Pubkey, account: &AccountSharedData) -> anyhow::Result<()> {
        self.with_working_bank(|bank| bank.store_account(key, account))
    }

    /// Moves the clock forward by `secs` in the bank being filled (later banks keep it).
    pub fn warp_clock(&self, secs: i64) -> anyhow::Result<Clock> {
        let mut warped = None;
        self.with_working_bank(|bank| {
            let mut clock = bank.clock();
            clock.unix_timestamp += secs;
            bank.set_sysvar_for_tests(&clock);
            warped = Some(clock);
        })?;
        warped.context("warp")
    }

    fn with_working_bank(
        &self,
        write: impl FnMut(&solana_runtime_bank::Bank),
    ) -> anyhow::Result<()> {
        let mut write = write;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let bank = self.inner.bank_forks().read().unwrap().working_bank();
            if !bank.freeze_started() {
                let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(&bank)));
                if done.is_ok() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("no unfrozen bank to write into within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The cluster's clock at the test's commitment (confirmed).
    pub fn clock(&self) -> anyhow::Result<Clock> {
        let data = self
            .rpc
            .get_account_data(&solana_sdk_ids_clock())
            .context("reading the clock sysvar")?;
        bincode_clock(&data)
    }

    /// Waits until `check` holds on what RPC returns for `key` at the confirmed commitment.
    pub fn wait_for_account(
        &self,
        key: &Pubkey,
        what: &str,
        check: impl Fn(&[u8]) -> bool,
    ) -> anyhow::Result<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(a) = self.rpc.get_account(key) {
                if check(a.data()) {
                    return Ok(a.data().to_vec());
                }
            }
            if Instant::now() > deadline {
                bail!("{what}: not visible over RPC within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Writes Pyth prices with `publish_time` = the cluster's clock now, and waits until
    /// RPC (confirmed) shows them.
    pub fn refresh_prices(&self, prices: &[(Pubkey, accounts::PythPrice)]) -> anyhow::Result<i64> {
        let now = self.clock()?;
        for (key, p) in prices {
            let p = accounts::PythPrice {
                publish_time: now.unix_timestamp,
                ..*p
            };
            self.set_account(key, &accounts::price_update(&p, now.slot))?;
        }
        for (key, _) in prices {
            self.wait_for_account(key, "refreshed price", |d| {
                d.len() == accounts::PRICE_UPDATE_V2_LEN
                    && i64::from_le_bytes(d[93..101].try_into().unwrap()) == now.unix_timestamp
            })?;
        }
        Ok(now.unix_timestamp)
    }

    /// Account data at the confirmed commitment, `None` when there is no account.
    pub fn data(&self, key: &Pubkey) -> anyhow::Result<Option<Vec<u8>>> {
        let r = self
            .rpc
            .get_account_with_commitment(key, CommitmentConfig::confirmed())?;
        Ok(r.value.map(|a| a.data().to_vec()))
    }

    /// A token account's amount (0 when it does not exist).
    pub fn token_balance(&self, key: &Pubkey) -> anyhow::Result<u64> {
        Ok(self.data(key)?.map_or(0, |d| accounts::token_amount(&d)))
    }

    pub fn lamports(&self, key: &Pubkey) -> anyhow::Result<u64> {
        Ok(self.rpc.get_balance(key)?)
    }

    /// Signs `ixs` with `payer` (and `signers`) and sends them, waiting for confirmation.
    /// `Err` carries the transaction's error and logs.
    pub fn send(
        &self,
        payer: &Keypair,
        signers: &[&Keypair],
        ixs: &[Instruction],
    ) -> anyhow::Result<String> {
        let mut keys: Vec<&Keypair> = vec![payer];
        keys.extend(signers.iter().filter(|k| k.pubkey() != payer.pubkey()));
        let blockhash = self.rpc.get_latest_blockhash()?;
        let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &keys, blockhash);
        let sig = self
            .rpc
            .send_and_confirm_transaction(&tx)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(sig.to_string())
    }
}

fn solana_sdk_ids_bpf_loader_upgradeable() -> Pubkey {
    solana_pubkey::pubkey!("BPFLoaderUpgradeab1e11111111111111111111111")
}

fn solana_sdk_ids_clock() -> Pubkey {
    solana_pubkey::pubkey!("SysvarC1ock11111111111111111111111111111111")
}

/// The clock sysvar's bincode layout: slot, epoch_start_timestamp, epoch,
/// leader_schedule_epoch, unix_timestamp (8 bytes each).
fn bincode_clock(d: &[u8]) -> anyhow::Result<Clock> {
    anyhow::ensure!(d.len() >= 40, "clock sysvar is {} bytes", d.len());
    let u = |o: usize| u64::from_le_bytes(d[o..o + 8].try_into().unwrap());
    Ok(Clock {
        slot: u(0),
        epoch_start_timestamp: u(8) as i64,
        epoch: u(16),
        leader_schedule_epoch: u(24),
        unix_timestamp: u(32) as i64,
    })
}

/// `solana_runtime::bank`, as `TestValidator::bank_forks` hands it out.
mod solana_runtime_bank {
    pub use solana_runtime::bank::Bank;
}
