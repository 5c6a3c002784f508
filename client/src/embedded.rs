//! The program run natively inside `solana-program-test` (feature `embedded`): the real
//! bank, SPL Token and Token-2022 as their bundled SBF binaries, the fund as host code.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use solana_program_test::{processor, ProgramTest};

/// An Anchor program's `entry`: one lifetime for the program id, the accounts (and their
/// data) and the instruction data.
pub type AnchorEntry =
    for<'info> fn(&'info Pubkey, &'info [AccountInfo<'info>], &'info [u8]) -> ProgramResult;

/// Calls an Anchor program's `entry` from a `processor!` function.
///
/// `entry` wants one lifetime `'info` for the program id, the account slice, the accounts'
/// data and the instruction data; `processor!` hands us independent (elided) lifetimes.
/// `AccountInfo<'a>` is invariant in `'a`, so the compiler cannot shorten it for us. The
/// transmute only shortens lifetimes: every reference passed in outlives this call, and
/// `entry` returns a `ProgramResult` that borrows nothing, so no reference escapes with the
/// shortened lifetime.
pub fn call_anchor_entry(
    entry: AnchorEntry,
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    // SAFETY: see above; only lifetimes change, and nothing borrowed escapes the call.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    entry(program_id, accounts, data)
}

/// The insurance fund's entrypoint, natively.
pub fn fund_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    call_anchor_entry(insurance_fund::entry, program_id, accounts, data)
}

/// A `ProgramTest` with the fund program loaded natively (host code through `processor!`)
/// and the compute limit at the network's maximum.
pub fn program_test() -> ProgramTest {
    let mut pt = ProgramTest::new("insurance_fund", insurance_fund::ID, processor!(fund_entry));
    pt.prefer_bpf(false);
    pt.set_compute_max_units(1_400_000);
    pt
}

/// Puts the SBF program `so` (a `.so` file) at `id` in the genesis, owned by the BPF loader:
/// the real binary runs in the VM whatever mode the fund runs in (how the tests load Squads v4
/// and SPL Governance beside the fund).
pub fn add_sbf_program(
    pt: &mut ProgramTest,
    id: Pubkey,
    so: &std::path::Path,
) -> std::io::Result<()> {
    let data = std::fs::read(so)?;
    pt.add_account(
        id,
        solana_account::Account {
            lamports: anchor_lang::prelude::Rent::default()
                .minimum_balance(data.len())
                .max(1),
            data,
            owner: BPF_LOADER,
            executable: true,
            rent_epoch: 0,
        },
    );
    Ok(())
}

/// A `ProgramTest` with the fund program as its SBF binary `so` (compute limit at the
/// network's maximum), for runs against the real VM.
pub fn program_test_sbf(so: &std::path::Path) -> std::io::Result<ProgramTest> {
    let mut pt = ProgramTest::default();
    pt.prefer_bpf(true);
    add_sbf_program(&mut pt, insurance_fund::ID, so)?;
    pt.set_compute_max_units(1_400_000);
    Ok(pt)
}

/// The (non-upgradeable) BPF loader, owner of programs put in a test genesis.
const BPF_LOADER: Pubkey = anchor_lang::pubkey!("BPFLoader2111111111111111111111111111111111");
