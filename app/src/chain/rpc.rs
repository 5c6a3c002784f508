//! A cluster over JSON-RPC (`solana-rpc-client` 3.x, blocking), at one commitment.

use super::{Chain, ChainError, TxResult};
use anchor_lang::prelude::{Clock, Pubkey};
use anyhow::Context;
use solana_account::Account;
use solana_commitment_config::CommitmentConfig;
use solana_hash::Hash;
use solana_rpc_client::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub struct RpcChain {
    url: String,
    client: RpcClient,
}

impl RpcChain {
    pub fn new(url: &str, commitment: CommitmentConfig) -> Self {
        Self {
            url: url.to_string(),
            client: RpcClient::new_with_commitment(url.to_string(), commitment),
        }
    }

    /// Fails with a clear message when the URL does not answer.
    pub fn check_reachable(&self) -> anyhow::Result<()> {
        self.client
            .get_version()
            .map(|_| ())
            .map_err(|e| unreachable_error(&self.url, &e).into())
    }
}

fn unreachable_error(url: &str, e: &ClientError) -> ChainError {
    ChainError::Unreachable(format!("cannot reach the cluster at {url}: {e}"))
}

impl Chain for RpcChain {
    fn describe(&self) -> String {
        self.url.clone()
    }

    fn get_account(&mut self, key: &Pubkey) -> anyhow::Result<Option<Account>> {
        let r = self
            .client
            .get_account_with_commitment(key, self.client.commitment())
            .map_err(|e| unreachable_error(&self.url, &e))?;
        Ok(r.value)
    }

    fn find_program_accounts(
        &mut self,
        program: &Pubkey,
        filters: &[(usize, Vec<u8>)],
    ) -> anyhow::Result<Option<Vec<(Pubkey, Account)>>> {
        use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
        use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
        let config = RpcProgramAccountsConfig {
            filters: Some(
                filters
                    .iter()
                    .map(|(offset, bytes)| {
                        RpcFilterType::Memcmp(Memcmp::new_raw_bytes(*offset, bytes.clone()))
                    })
                    .collect(),
            ),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                commitment: Some(self.client.commitment()),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        let found = self
            .client
            .get_program_ui_accounts_with_config(program, config)
            .map_err(|e| unreachable_error(&self.url, &e))?;
        let mut out = Vec::with_capacity(found.len());
        for (key, ui) in found {
            let account: Account = ui
                .decode()
                .with_context(|| format!("{} returned undecodable data for {key}", self.url))?;
            out.push((key, account));
        }
        Ok(Some(out))
    }

    fn get_accounts(&mut self, keys: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            out.extend(
                self.client
                    .get_multiple_accounts(chunk)
                    .map_err(|e| unreachable_error(&self.url, &e))?,
            );
        }
        Ok(out)
    }

    fn clock(&mut self) -> anyhow::Result<Clock> {
        let id = anchor_lang::pubkey!("SysvarC1ock11111111111111111111111111111111");
        let account = self
            .get_account(&id)?
            .context("the cluster returned no clock sysvar")?;
        bincode::deserialize(&account.data).context("decoding the clock sysvar")
    }

    fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        self.client
            .get_latest_blockhash()
            .map_err(|e| unreachable_error(&self.url, &e))
    }

    fn send_transaction(&mut self, tx: &Transaction) -> Result<TxResult, ChainError> {
        let signature = tx
            .signatures
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default();
        match self.client.send_and_confirm_transaction(tx) {
            Ok(_) => Ok(TxResult {
                signature,
                result: Ok(()),
                logs: vec![],
            }),
            Err(e) => match e.get_transaction_error() {
                Some(TransactionError::BlockhashNotFound) => Err(ChainError::BlockhashExpired),
                Some(te) => Ok(TxResult {
                    signature,
                    result: Err(te),
                    logs: preflight_logs(&e),
                }),
                // The client gave up confirming (usually: the blockhash expired before the
                // transaction landed). Ask once whether it landed after all; if not, it never
                // will, and the caller may sign again with a fresh blockhash.
                None if e.to_string().contains("unable to confirm transaction") => {
                    match tx
                        .signatures
                        .first()
                        .map(|s| self.client.get_signature_status(s))
                    {
                        Some(Ok(Some(result))) => Ok(TxResult {
                            signature,
                            result,
                            logs: vec![],
                        }),
                        Some(Ok(None)) => Err(ChainError::BlockhashExpired),
                        _ => Err(unreachable_error(&self.url, &e)),
                    }
                }
                None => Err(unreachable_error(&self.url, &e)),
            },
        }
    }

    fn minimum_balance(&mut self, data_len: usize) -> anyhow::Result<u64> {
        self.client
            .get_minimum_balance_for_rent_exemption(data_len)
            .map_err(|e| unreachable_error(&self.url, &e).into())
    }
}

/// The simulation logs a preflight failure carries, if any.
fn preflight_logs(e: &ClientError) -> Vec<String> {
    match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(sim),
            ..
        }) => sim.logs.clone().unwrap_or_default(),
        _ => vec![],
    }
}
