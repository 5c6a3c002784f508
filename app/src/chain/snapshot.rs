//! Accounts a simulation saved at its end, served read-only, so `ifund status` reads the last
//! simulation through the same [`Chain`] interface as a cluster.

use super::{Chain, ChainError, TxResult};
use anchor_lang::prelude::{Clock, Pubkey};
use anyhow::Context;
use base64::Engine;
use serde::{Deserialize, Serialize};
use solana_account::Account;
use solana_hash::Hash;
use solana_transaction::Transaction;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The saved state: the fund's address, the clock, and every account status reads.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Snapshot {
    pub fund: String,
    pub slot: u64,
    pub unix_timestamp: i64,
    pub accounts: Vec<SnapshotAccount>,
    /// Display names of mints: (mint, name).
    #[serde(default)]
    pub labels: Vec<(String, String)>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct SnapshotAccount {
    pub address: String,
    pub owner: String,
    pub lamports: u64,
    /// Base64.
    pub data: String,
}

impl Snapshot {
    /// Reads every account in `keys` (missing ones are skipped) from `chain`.
    pub fn capture(chain: &mut dyn Chain, fund: &Pubkey, keys: &[Pubkey]) -> anyhow::Result<Self> {
        let clock = chain.clock()?;
        let mut accounts = vec![];
        for (k, a) in keys.iter().zip(chain.get_accounts(keys)?) {
            if let Some(a) = a {
                accounts.push(SnapshotAccount {
                    address: k.to_string(),
                    owner: a.owner.to_string(),
                    lamports: a.lamports,
                    data: base64::engine::general_purpose::STANDARD.encode(&a.data),
                });
            }
        }
        Ok(Self {
            fund: fund.to_string(),
            slot: clock.slot,
            unix_timestamp: clock.unix_timestamp,
            accounts,
            labels: vec![],
        })
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }
}

pub struct SnapshotChain {
    path: PathBuf,
    pub fund: Pubkey,
    clock: Clock,
    accounts: HashMap<Pubkey, Account>,
    /// Mint display names saved by the simulation.
    pub labels: HashMap<Pubkey, String>,
}

impl SnapshotChain {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "no simulation state at {} (run `ifund simulate` first, or pass --url and --fund)",
                path.display()
            )
        })?;
        let snap: Snapshot = serde_json::from_str(&text)
            .with_context(|| format!("{} is not an ifund snapshot", path.display()))?;
        let mut accounts = HashMap::new();
        for a in &snap.accounts {
            let key = Pubkey::from_str(&a.address)
                .with_context(|| format!("bad address {} in {}", a.address, path.display()))?;
            let owner = Pubkey::from_str(&a.owner)
                .with_context(|| format!("bad owner {} in {}", a.owner, path.display()))?;
            let data = base64::engine::general_purpose::STANDARD
                .decode(&a.data)
                .with_context(|| format!("bad data for {} in {}", a.address, path.display()))?;
            accounts.insert(
                key,
                Account {
                    lamports: a.lamports,
                    data,
                    owner,
                    executable: false,
                    rent_epoch: 0,
                },
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
            fund: Pubkey::from_str(&snap.fund)
                .with_context(|| format!("bad fund address in {}", path.display()))?,
            clock: Clock {
                slot: snap.slot,
                unix_timestamp: snap.unix_timestamp,
                ..Clock::default()
            },
            accounts,
            labels: snap
                .labels
                .iter()
                .filter_map(|(k, v)| Pubkey::from_str(k).ok().map(|k| (k, v.clone())))
                .collect(),
        })
    }
}

impl Chain for SnapshotChain {
    fn describe(&self) -> String {
        format!("the simulation snapshot {}", self.path.display())
    }

    fn get_account(&mut self, key: &Pubkey) -> anyhow::Result<Option<Account>> {
        Ok(self.accounts.get(key).cloned())
    }

    fn clock(&mut self) -> anyhow::Result<Clock> {
        Ok(self.clock.clone())
    }

    fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        Err(ChainError::Unsupported(
            "a simulation snapshot is read-only".into(),
        ))
    }

    fn send_transaction(&mut self, _tx: &Transaction) -> Result<TxResult, ChainError> {
        Err(ChainError::Unsupported(
            "a simulation snapshot is read-only".into(),
        ))
    }

    fn minimum_balance(&mut self, _data_len: usize) -> anyhow::Result<u64> {
        Err(ChainError::Unsupported("a simulation snapshot is read-only".into()).into())
    }
}
