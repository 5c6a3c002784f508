//! Creating the program's PDAs so that nobody can block their creation.
//!
//! Anyone can send lamports to any address, and every address this program creates is
//! predictable (the next shortfall id, a claimant's authority, a mint's vault, the hash of a
//! queued change). The system program's `CreateAccount` refuses an address that already holds
//! lamports, and Anchor 1.2's `init` then falls back to `CreateAccountAllowPrefund`, which
//! needs SIMD-0312 and fails on runtimes without it. So `init` would let a 0.001 SOL transfer
//! block, for good, every later declaration of a fund (ids cannot be skipped), a claimant, an
//! asset or a governance change. `create_pda` works on every runtime: `CreateAccount` for an
//! empty address, else top up the rent, `Allocate` and `Assign` (the PDA signs both).
//!
//! Used for vaults (`add_asset`), claimants, shortfall records and queued changes.
//! `initialize_fund` keeps Anchor's `init`: the fund's address comes from `create_key`, which
//! signs the creating transaction, so nobody knows it in advance, and a creator who finds it
//! taken simply uses another key.

use crate::error::FundError;
use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};

/// Creates the account at `target`, a PDA of this program with signer seeds `seeds`, with
/// `space` bytes owned by `owner`, `payer` paying its rent.
///
/// Checks: `target` is owned by the system program (`AccountAlreadyExists` otherwise: an
/// account already lives there, e.g. a second `init` of the same record). A system-owned PDA
/// never holds data (only the PDA's own program can allocate it), so "prefunded" means only
/// lamports; those stay in the account and count toward its rent.
///
/// CPIs (the instruction lists the system program among its accounts): `CreateAccount` when
/// `target` holds no lamports; else `Transfer` of the missing rent (if any), `Allocate` and
/// `Assign`.
pub fn create_pda<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    space: usize,
    owner: &Pubkey,
    seeds: &[&[u8]],
) -> Result<()> {
    require_keys_eq!(
        *target.owner,
        system_program::ID,
        FundError::AccountAlreadyExists
    );
    let rent = Rent::get()?.minimum_balance(space);
    let held = target.lamports();
    let signer = &[seeds];
    if held == 0 {
        return system_program::create_account(
            CpiContext::new_with_signer(
                system_program::ID,
                CreateAccount {
                    from: payer.clone(),
                    to: target.clone(),
                },
                signer,
            ),
            rent,
            space as u64,
            owner,
        );
    }
    let missing = rent.saturating_sub(held);
    if missing > 0 {
        system_program::transfer(
            CpiContext::new(
                system_program::ID,
                Transfer {
                    from: payer.clone(),
                    to: target.clone(),
                },
            ),
            missing,
        )?;
    }
    system_program::allocate(
        CpiContext::new_with_signer(
            system_program::ID,
            Allocate {
                account_to_allocate: target.clone(),
            },
            signer,
        ),
        space as u64,
    )?;
    system_program::assign(
        CpiContext::new_with_signer(
            system_program::ID,
            Assign {
                account_to_assign: target.clone(),
            },
            signer,
        ),
        owner,
    )
}

/// `create_pda` for one of this program's records (owned by this program, `space` bytes),
/// then `record` written: its discriminator and fields.
pub fn init_record<'info, T: AccountSerialize>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    space: usize,
    seeds: &[&[u8]],
    record: &T,
) -> Result<()> {
    create_pda(payer, target, space, &crate::ID, seeds)?;
    let mut data = target.try_borrow_mut_data()?;
    record.try_serialize(&mut &mut data[..])
}
