//! Timelocked configuration changes (`queue_change`, executing with a matured record,
//! `cancel_change`) and the mock governance program (`tests/programs/mock_governance`,
//! loaded natively in both modes), whose treasury PDA can be a fund's governance.

use crate::fixture::FundHandle;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas};
use insurance_fund::timelock::ConfigChange;

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

pub use insurance_fund_client::ix::with_pending_change;

impl FundHandle {
    /// `["change", fund, sha256(borsh(change))]`.
    pub fn pending_change_address(&self, change: &ConfigChange) -> Pubkey {
        insurance_fund_client::pda::pending_change_address(&self.fund, change)
    }

    /// `queue_change` signed by `governance`, `payer` paying the record's rent.
    pub fn queue_change_ix(
        &self,
        governance: &Pubkey,
        payer: &Pubkey,
        change: ConfigChange,
    ) -> Instruction {
        insurance_fund_client::ix::queue_change(&self.fund, governance, payer, change)
    }

    pub fn cancel_change_ix(
        &self,
        authority: &Pubkey,
        pending_change: Pubkey,
        rent_recipient: Pubkey,
    ) -> Instruction {
        insurance_fund_client::ix::cancel_change(
            &self.fund,
            authority,
            pending_change,
            rent_recipient,
        )
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
