//! A cluster over JSON-RPC (`solana-rpc-client` 3.x, blocking), at one commitment.

use super::{Chain, ChainError, TxResult};
use anchor_lang::prelude::{Clock, Pubkey};
use anyhow::Context;
use solana_account::Account;
use solana_commitment_config::CommitmentConfig;
use solana_hash::Hash;
use solana_rpc_client::rpc_client::{RpcClient, SerializableTransaction};
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use std::collections::HashMap;
use std::time::Duration;

/// Blocks after which a blockhash is no longer accepted (`MAX_PROCESSING_AGE`): the lifetime
/// of a transaction signed with it, in block height.
const MAX_PROCESSING_AGE: u64 = 150;

pub struct RpcChain {
    url: String,
    client: RpcClient,
    /// The last block height at which each blockhash handed out by `latest_blockhash` is
    /// still valid: a transaction signed with it cannot land in a later block.
    last_valid: HashMap<Hash, u64>,
    /// How long `settle` waits between looks at the chain.
    poll: Duration,
}

impl RpcChain {
    pub fn new(url: &str, commitment: CommitmentConfig) -> Self {
        Self {
            url: url.to_string(),
            client: RpcClient::new_with_commitment(url.to_string(), commitment),
            last_valid: HashMap::new(),
            poll: Duration::from_millis(500),
        }
    }

    /// Fails with a clear message when the URL does not answer.
    pub fn check_reachable(&self) -> anyhow::Result<()> {
        self.client
            .get_version()
            .map(|_| ())
            .map_err(|e| unreachable_error(&self.url, &e).into())
    }

    /// Sends `tx` (legacy or versioned) and waits for it at the chain's commitment.
    fn send_any<T: SerializableTransaction>(&mut self, tx: &T) -> Result<TxResult, ChainError> {
        let signature = tx.get_signature().to_string();
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
                // The client stopped waiting for a transaction it may have sent: it gave up
                // confirming (it saw the blockhash expire, perhaps on a node lagging behind),
                // or the connection failed mid-request. The transaction may still land, so
                // signing again now could execute the same operation twice; `settle` waits
                // until it has landed or provably never will.
                None if e.to_string().contains("unable to confirm transaction")
                    || matches!(e.kind(), ErrorKind::Reqwest(_) | ErrorKind::Io(_)) =>
                {
                    self.settle(tx, &signature, &e)
                }
                None => Err(unreachable_error(&self.url, &e)),
            },
        }
    }

    /// The outcome of `tx`, sent but not confirmed by the client: its result once it reaches
    /// the chain's commitment, or `BlockhashExpired` once the finalized block height has
    /// passed its blockhash's last valid height, so it can never land and signing again is
    /// safe. Meanwhile the same transaction is sent again now and then (the same signature
    /// executes at most once). A node that cannot be reached ends it with `Unreachable`.
    fn settle<T: SerializableTransaction>(
        &mut self,
        tx: &T,
        signature: &str,
        cause: &ClientError,
    ) -> Result<TxResult, ChainError> {
        let sig = tx.get_signature();
        if *sig == Default::default() {
            return Err(unreachable_error(&self.url, cause));
        }
        let unreachable = |e: ClientError| unreachable_error(&self.url, &e);
        let last_valid = match self.last_valid.get(tx.get_recent_blockhash()) {
            Some(h) => *h,
            // not a blockhash this chain handed out: assume it was the newest one now
            None => self
                .client
                .get_block_height_with_commitment(CommitmentConfig::processed())
                .map_err(unreachable)?
                .saturating_add(MAX_PROCESSING_AGE),
        };
        let resend = RpcSendTransactionConfig {
            skip_preflight: true,
            ..RpcSendTransactionConfig::default()
        };
        let mut looks = 0u32;
        loop {
            let status = self
                .client
                .get_signature_status_with_commitment(sig, self.client.commitment())
                .map_err(unreachable)?;
            if let Some(result) = status {
                return Ok(TxResult {
                    signature: signature.to_string(),
                    result,
                    logs: vec![],
                });
            }
            let finalized = self
                .client
                .get_block_height_with_commitment(CommitmentConfig::finalized())
                .map_err(unreachable)?;
            if finalized > last_valid {
                // one last look: it may have reached the commitment since
                return match self
                    .client
                    .get_signature_status_with_commitment(sig, self.client.commitment())
                    .map_err(unreachable)?
                {
                    Some(result) => Ok(TxResult {
                        signature: signature.to_string(),
                        result,
                        logs: vec![],
                    }),
                    None => Err(ChainError::BlockhashExpired),
                };
            }
            if looks.is_multiple_of(4) {
                // the node may have dropped it; a copy with the same signature is harmless
                let _ = self.client.send_transaction_with_config(tx, resend);
            }
            looks = looks.saturating_add(1);
            std::thread::sleep(self.poll);
        }
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
        let (hash, last_valid) = self
            .client
            .get_latest_blockhash_with_commitment(self.client.commitment())
            .map_err(|e| unreachable_error(&self.url, &e))?;
        if self.last_valid.len() > 1024 {
            self.last_valid.clear();
        }
        self.last_valid.insert(hash, last_valid);
        Ok(hash)
    }

    fn send_transaction(&mut self, tx: &Transaction) -> Result<TxResult, ChainError> {
        self.send_any(tx)
    }

    fn send_versioned_transaction(
        &mut self,
        tx: &VersionedTransaction,
    ) -> Result<TxResult, ChainError> {
        self.send_any(tx)
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

#[cfg(test)]
mod tests {
    //! `settle` against a scripted node (`solana-rpc-client`'s mock sender: each request
    //! answers from its own queue, then the mock's defaults): what a keeper does when a send
    //! timed out without a confirmation.
    use super::*;
    use anchor_lang::solana_program::instruction::error::InstructionError;
    use serde_json::{json, Value};
    use solana_keypair::Keypair;
    use solana_rpc_client::mock_sender::MocksMap;
    use solana_rpc_client_api::request::RpcRequest;
    use solana_signer::Signer;

    /// A signed transfer of 1 lamport with `blockhash`.
    fn tx(blockhash: Hash) -> Transaction {
        let payer = Keypair::new();
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &payer.pubkey(),
            &Pubkey::new_unique(),
            1,
        );
        Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash)
    }

    fn status(value: Value) -> Value {
        json!({"context": {"slot": 1}, "value": [value]})
    }

    fn landed(err: Value) -> Value {
        let outcome = if err.is_null() {
            json!({"Ok": null})
        } else {
            json!({"Err": err})
        };
        status(json!({
            "slot": 1, "confirmations": null, "err": err, "status": outcome,
            "confirmationStatus": "finalized"
        }))
    }

    /// A chain whose node answers `mocks` (`url` picks the mock's defaults once they run out:
    /// "sig_not_found" answers every later status look with "unknown").
    fn chain(url: &str, mocks: MocksMap, blockhash: Hash, last_valid: u64) -> RpcChain {
        RpcChain {
            url: url.into(),
            client: RpcClient::new_mock_with_mocks_map(url, mocks),
            last_valid: HashMap::from([(blockhash, last_valid)]),
            poll: Duration::ZERO,
        }
    }

    fn timeout() -> ClientError {
        ErrorKind::Custom("timed out waiting for confirmation".into()).into()
    }

    #[test]
    fn a_transaction_that_lands_late_is_reported_once_not_sent_as_new() {
        let blockhash = Hash::new_unique();
        let t = tx(blockhash);
        let mut mocks = MocksMap::default();
        // unknown twice while the blockhash is still valid, then landed with an error
        for _ in 0..2 {
            mocks.insert(RpcRequest::GetSignatureStatuses, status(Value::Null));
            mocks.insert(RpcRequest::GetBlockHeight, json!(90));
        }
        mocks.insert(
            RpcRequest::GetSignatureStatuses,
            landed(json!({"InstructionError": [0, {"Custom": 6001}]})),
        );
        let mut c = chain("succeeds", mocks, blockhash, 100);
        let sig = t.signatures[0].to_string();
        let r = c.settle(&t, &sig, &timeout()).unwrap();
        assert_eq!(r.signature, sig);
        assert_eq!(
            r.result,
            Err(TransactionError::InstructionError(
                0,
                InstructionError::Custom(6001)
            ))
        );
    }

    #[test]
    fn a_transaction_past_its_last_valid_height_is_expired_so_signing_again_is_safe() {
        let blockhash = Hash::new_unique();
        let t = tx(blockhash);
        let mut mocks = MocksMap::default();
        mocks.insert(RpcRequest::GetBlockHeight, json!(99));
        mocks.insert(RpcRequest::GetBlockHeight, json!(101));
        // "sig_not_found": the node never knows the signature
        let mut c = chain("sig_not_found", mocks, blockhash, 100);
        let sig = t.signatures[0].to_string();
        assert!(matches!(
            c.settle(&t, &sig, &timeout()),
            Err(ChainError::BlockhashExpired)
        ));
    }

    #[test]
    fn a_transaction_that_lands_at_the_last_look_is_not_expired() {
        let blockhash = Hash::new_unique();
        let t = tx(blockhash);
        let mut mocks = MocksMap::default();
        mocks.insert(RpcRequest::GetSignatureStatuses, status(Value::Null));
        mocks.insert(RpcRequest::GetBlockHeight, json!(101));
        mocks.insert(RpcRequest::GetSignatureStatuses, landed(Value::Null));
        let mut c = chain("succeeds", mocks, blockhash, 100);
        let sig = t.signatures[0].to_string();
        assert_eq!(c.settle(&t, &sig, &timeout()).unwrap().result, Ok(()));
    }
}
