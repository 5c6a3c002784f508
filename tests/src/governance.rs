//! Timelocked configuration changes (`queue_change`, executing with a matured record,
//! `cancel_change`) and the mock governance program (`tests/programs/mock_governance`,
//! loaded natively in both modes), whose treasury PDA can be a fund's governance.

use crate::fixture::FundHandle;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas};
use insurance_fund::state::seeds::SEED_CHANGE;
use insurance_fund::timelock::ConfigChange;
use insurance_fund::{accounts as acc, instruction as ixd};

/// The mock governance program's treasury PDA `["treasury"]`.
pub fn treasury() -> Pubkey {
    mock_governance::treasury_address().0
}

/// Wraps `ix` in the mock governance program's `execute`: the treasury signs it through
/// `invoke_signed` (as a Squads vault transaction or an SPL Governance proposal would).
pub fn governance_execute_ix(ix: Instruction) -> Instruction {
    let treasury = treasury();
    let mut accounts = mock_governance::accounts::Execute {
        treasury,
        target_program: ix.program_id,
    }
    .to_account_metas(None);
    // the outer transaction cannot sign for the PDA: the program adds the signature
    accounts.extend(ix.accounts.iter().map(|m| AccountMeta {
        pubkey: m.pubkey,
        is_signer: m.is_signer && m.pubkey != treasury,
        is_writable: m.is_writable,
    }));
    Instruction {
        program_id: mock_governance::ID,
        accounts,
        data: mock_governance::instruction::Execute { data: ix.data }.data(),
    }
}

/// `ix` (a timelock-aware instruction built with no queued change) executing the queued
/// change at `pending_change`, its rent going back to `rent_recipient`: the last two accounts
/// of every such instruction are the change and the recipient.
pub fn with_pending_change(
    mut ix: Instruction,
    pending_change: Pubkey,
    rent_recipient: Pubkey,
) -> Instruction {
    let n = ix.accounts.len();
    ix.accounts[n - 2] = AccountMeta::new(pending_change, false);
    ix.accounts[n - 1] = AccountMeta::new(rent_recipient, false);
    ix
}

impl FundHandle {
    /// `["change", fund, sha256(borsh(change))]`.
    pub fn pending_change_address(&self, change: &ConfigChange) -> Pubkey {
        Pubkey::find_program_address(
            &[SEED_CHANGE, self.fund.as_ref(), &change.hash().unwrap()],
            &insurance_fund::ID,
        )
        .0
    }

    /// `queue_change` signed by `governance`, `payer` paying the record's rent.
    pub fn queue_change_ix(
        &self,
        governance: &Pubkey,
        payer: &Pubkey,
        change: ConfigChange,
    ) -> Instruction {
        let change_hash = change.hash().unwrap();
        Instruction {
            program_id: insurance_fund::ID,
            accounts: acc::QueueChange {
                governance: *governance,
                fund: self.fund,
                pending_change: self.pending_change_address(&change),
                payer: *payer,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: ixd::QueueChange {
                change_hash,
                change,
            }
            .data(),
        }
    }

    pub fn cancel_change_ix(
        &self,
        authority: &Pubkey,
        pending_change: Pubkey,
        rent_recipient: Pubkey,
    ) -> Instruction {
        Instruction {
            program_id: insurance_fund::ID,
            accounts: acc::CancelChange {
                authority: *authority,
                fund: self.fund,
                pending_change,
                rent_recipient,
            }
            .to_account_metas(None),
            data: ixd::CancelChange {}.data(),
        }
    }
}

impl crate::runtime::TestContext {
    /// Lamports held by `key` (0 when the account does not exist).
    pub async fn lamports(&mut self, key: &Pubkey) -> u64 {
        self.account(key).await.map_or(0, |a| a.lamports)
    }

    /// Transfers `lamports` from the runtime's payer to `to`.
    pub async fn fund_lamports(&mut self, to: &Pubkey, lamports: u64) {
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &self.payer_key(),
            to,
            lamports,
        );
        self.send_ok(&[ix], &[]).await;
    }

    /// The queued change at `key`, if it exists.
    pub async fn pending_change(
        &mut self,
        key: &Pubkey,
    ) -> Option<insurance_fund::state::PendingChange> {
        let account = self.account(key).await?;
        Some(
            insurance_fund::state::PendingChange::try_deserialize(&mut account.data.as_slice())
                .expect("a PendingChange"),
        )
    }
}
