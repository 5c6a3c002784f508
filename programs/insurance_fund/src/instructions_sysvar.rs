//! The instructions sysvar read in place, without allocating: how `rebalance_begin` finds the
//! `rebalance_end` it needs later in the same transaction.
//!
//! Layout (written by the runtime): `u16` instruction count `N`, `N` `u16` offsets, then per
//! instruction `u16` account count `A`, `A` metas of 33 bytes (flags, key), the 32-byte
//! program id, `u16` data length and the data; the last two bytes hold the index of the
//! instruction being executed. All integers little-endian. Any read past the end is `None`.

use anchor_lang::prelude::Pubkey;

/// The address of the instructions sysvar.
pub use solana_sdk_ids::sysvar::instructions::ID;

/// One instruction of the transaction, borrowed from the sysvar's data.
pub struct SysvarInstruction<'a> {
    /// `A` account metas of 33 bytes each.
    metas: &'a [u8],
    pub program_id: Pubkey,
    pub data: &'a [u8],
}

impl SysvarInstruction<'_> {
    /// The key of the instruction's `k`-th account.
    pub fn account(&self, k: usize) -> Option<Pubkey> {
        let start = k.checked_mul(33)?.checked_add(1)?;
        key_at(self.metas, start)
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn key_at(data: &[u8], at: usize) -> Option<Pubkey> {
    let bytes: [u8; 32] = data.get(at..at.checked_add(32)?)?.try_into().ok()?;
    Some(Pubkey::new_from_array(bytes))
}

/// The number of instructions in the transaction.
pub fn instruction_count(data: &[u8]) -> Option<u16> {
    u16_at(data, 0)
}

/// The index of the instruction being executed (the top-level one, even inside a CPI).
pub fn current_index(data: &[u8]) -> Option<u16> {
    u16_at(data, data.len().checked_sub(2)?)
}

/// The transaction's `index`-th instruction.
pub fn instruction_at(data: &[u8], index: u16) -> Option<SysvarInstruction<'_>> {
    if index >= instruction_count(data)? {
        return None;
    }
    let offset_at = 2 + 2 * usize::from(index);
    let start = usize::from(u16_at(data, offset_at)?);
    let accounts = usize::from(u16_at(data, start)?);
    let metas_start = start + 2;
    let metas_end = metas_start.checked_add(accounts.checked_mul(33)?)?;
    let metas = data.get(metas_start..metas_end)?;
    let program_id = key_at(data, metas_end)?;
    let data_len = usize::from(u16_at(data, metas_end + 32)?);
    let data_start = metas_end + 34;
    let ix_data = data.get(data_start..data_start.checked_add(data_len)?)?;
    Some(SysvarInstruction {
        metas,
        program_id,
        data: ix_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_instruction::{BorrowedAccountMeta, BorrowedInstruction};

    /// Agrees with the runtime's own encoder on a transaction of three instructions.
    #[test]
    fn reads_what_the_runtime_writes() {
        let keys: Vec<Pubkey> = (0..5u8)
            .map(|k| Pubkey::new_from_array([k + 1; 32]))
            .collect();
        let programs = [
            Pubkey::new_from_array([9; 32]),
            Pubkey::new_from_array([8; 32]),
        ];
        let metas = |ks: &[usize]| -> Vec<BorrowedAccountMeta> {
            ks.iter()
                .map(|&k| BorrowedAccountMeta {
                    pubkey: &keys[k],
                    is_signer: k == 0,
                    is_writable: k % 2 == 0,
                })
                .collect()
        };
        let (m0, m1, m2) = (metas(&[0, 1]), metas(&[]), metas(&[2, 3, 4]));
        let ixs = [
            BorrowedInstruction {
                program_id: &programs[0],
                accounts: m0,
                data: &[1, 2, 3],
            },
            BorrowedInstruction {
                program_id: &programs[1],
                accounts: m1,
                data: &[],
            },
            BorrowedInstruction {
                program_id: &programs[0],
                accounts: m2,
                data: &[7; 40],
            },
        ];
        let mut data = solana_instructions_sysvar::construct_instructions_data(&ixs);
        let n = data.len();
        data[n - 2..].copy_from_slice(&1u16.to_le_bytes());

        assert_eq!(instruction_count(&data), Some(3));
        assert_eq!(current_index(&data), Some(1));
        let first = instruction_at(&data, 0).unwrap();
        assert_eq!(
            (first.program_id, first.data),
            (programs[0], &[1u8, 2, 3][..])
        );
        assert_eq!(first.account(0), Some(keys[0]));
        assert_eq!(first.account(1), Some(keys[1]));
        assert_eq!(first.account(2), None);
        let second = instruction_at(&data, 1).unwrap();
        assert_eq!((second.program_id, second.data.len()), (programs[1], 0));
        assert_eq!(second.account(0), None);
        let third = instruction_at(&data, 2).unwrap();
        assert_eq!(third.account(2), Some(keys[4]));
        assert_eq!(third.data, &[7u8; 40][..]);
        assert!(instruction_at(&data, 3).is_none());
        // truncated data reads as nothing rather than panicking
        for cut in 0..data.len() {
            let short = &data[..cut];
            for k in 0..3 {
                if let Some(ix) = instruction_at(short, k) {
                    let _ = ix.account(0);
                }
            }
        }
    }
}
