//! The mock liquidator (`tests/programs/mock_liquidator`, loaded natively in both modes): its
//! authority PDA and builders for its instructions, which reach the fund through CPI.

use crate::fixture::FundHandle;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{InstructionData, ToAccountMetas};
use insurance_fund::instructions::PAYOUT_ACCOUNTS;
use mock_liquidator::{accounts as macc, instruction as mixd};

/// The mock's authority PDA `["liquidator"]`: the claimant authority it signs as.
pub fn liquidator_authority() -> Pubkey {
    mock_liquidator::authority_address().0
}

fn mock_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: mock_liquidator::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

impl FundHandle {
    /// This fund's claimant account for the mock's PDA (registered or not).
    pub fn liquidator_claimant(&self) -> Pubkey {
        self.claimant_address(&liquidator_authority())
    }

    /// The mock's `declare`: `declare_shortfall` of shortfall `id` through CPI for the
    /// `claimant` account (normally [`FundHandle::liquidator_claimant`]), the PDA signing as
    /// `declarer`; the runtime's payer pays the rent.
    pub fn liquidator_declare_ix(
        &self,
        claimant: Pubkey,
        id: u64,
        amount: u64,
        reference: [u8; 32],
    ) -> Instruction {
        mock_ix(
            macc::Declare {
                authority: liquidator_authority(),
                payer: self.payer,
                fund: self.fund,
                claimant,
                shortfall: self.shortfall_address(id),
                system_program: anchor_lang::system_program::ID,
                insurance_fund_program: insurance_fund::ID,
            },
            mixd::Declare {
                id,
                amount,
                reference,
            },
        )
    }

    /// The mock's `draw`: `draw` toward shortfall `id` through CPI for the `claimant` account,
    /// the PDA signing as `authority`. `pay` is as for [`FundHandle::draw_ix`] (assets in
    /// waterfall order, each with its payout token account); the mock passes the resulting
    /// remaining accounts through unchanged.
    pub fn liquidator_draw_ix(
        &self,
        claimant: Pubkey,
        id: u64,
        max_value: u64,
        pay: &[(usize, Pubkey)],
    ) -> Instruction {
        // the payout groups exactly as `draw_ix` lays them out, after the fund's own accounts
        let mut direct = self.draw_ix(&liquidator_authority(), id, max_value, pay);
        let first_group = direct.accounts.len() - pay.len() * PAYOUT_ACCOUNTS;
        let remaining = direct.accounts.split_off(first_group);
        let mut ix = mock_ix(
            macc::Draw {
                authority: liquidator_authority(),
                fund: self.fund,
                claimant,
                shortfall: self.shortfall_address(id),
                insurance_fund_program: insurance_fund::ID,
            },
            mixd::Draw { id, max_value },
        );
        ix.accounts.extend(remaining);
        ix
    }
}

/// The mock's `relay`: `ix` (an instruction of the fund) sent through CPI from the mock, with
/// the same accounts and data.
pub fn relayed(ix: &Instruction) -> Instruction {
    let mut out = mock_ix(
        macc::Relay {
            insurance_fund_program: insurance_fund::ID,
        },
        mixd::Relay {
            data: ix.data.clone(),
        },
    );
    out.accounts.extend(ix.accounts.iter().cloned());
    out
}
