//! Which mints a vault may hold, and small token helpers.
//!
//! A vault must never lose funds to a third party nor become impossible to pay out from. For
//! Token-2022 the mint's extensions are checked once, at `add_asset`, against an allow-list;
//! the extensions that could later change a vault's behaviour cannot be added to an existing
//! mint, so the check at registration holds for the asset's lifetime.
//!
//! | extension                               | decision | why                                                                |
//! |-----------------------------------------|----------|--------------------------------------------------------------------|
//! | PermanentDelegate (delegate set)        | reject   | the delegate can move vault tokens at will                         |
//! | TransferHook (program or authority set) | reject   | an arbitrary program runs on (and can block) every transfer         |
//! | DefaultAccountState = Frozen            | reject   | the vault would be created frozen                                   |
//! | NonTransferable                         | reject   | tokens could never leave the vault                                  |
//! | Pausable                                | reject   | a pause authority could block draws                                 |
//! | MintCloseAuthority (authority set)      | reject   | the mint could be closed and re-created with other properties      |
//! | InterestBearingConfig, ScaledUiAmount   | reject   | the UI amount an oracle prices differs from the raw amount held    |
//! | TransferFeeConfig                       | accept   | inflows are credited at the measured vault balance change          |
//! | ConfidentialTransfer(Mint/Fee), ConfidentialMintBurn | accept | the vault never configures confidential balances, so its public balance is all it holds |
//! | DefaultAccountState = Initialized       | accept   | later changes affect only accounts created afterwards              |
//! | Metadata/Group pointers and data        | accept   | descriptive only                                                   |
//! | any other or future extension           | reject   | unknown behaviour                                                  |
//!
//! Freeze authorities are accepted: major stablecoins have one, and it is a trust assumption
//! governance makes when it adds the asset.

use crate::error::FundError;
use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::{
    extension::{
        default_account_state::DefaultAccountState, mint_close_authority::MintCloseAuthority,
        permanent_delegate::PermanentDelegate, transfer_hook::TransferHook,
        BaseStateWithExtensions, ExtensionType, StateWithExtensions,
    },
    state::{AccountState, Mint},
};

/// Rejects a mint whose extensions could make a vault lose funds or block payouts.
pub fn check_mint_extensions(mint: &AccountInfo) -> Result<()> {
    if *mint.owner != anchor_spl::token_2022::ID {
        // SPL Token mints have no extensions.
        return Ok(());
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<Mint>::unpack(&data)?;
    for ext in state.get_extension_types()? {
        match ext {
            ExtensionType::PermanentDelegate => {
                let e = state.get_extension::<PermanentDelegate>()?;
                require!(
                    Option::<Pubkey>::from(e.delegate).is_none(),
                    FundError::MintHasPermanentDelegate
                );
            }
            ExtensionType::TransferHook => {
                let e = state.get_extension::<TransferHook>()?;
                require!(
                    Option::<Pubkey>::from(e.program_id).is_none()
                        && Option::<Pubkey>::from(e.authority).is_none(),
                    FundError::MintHasTransferHook
                );
            }
            ExtensionType::DefaultAccountState => {
                let e = state.get_extension::<DefaultAccountState>()?;
                require!(
                    e.state != AccountState::Frozen as u8,
                    FundError::MintDefaultFrozen
                );
            }
            ExtensionType::MintCloseAuthority => {
                let e = state.get_extension::<MintCloseAuthority>()?;
                require!(
                    Option::<Pubkey>::from(e.close_authority).is_none(),
                    FundError::MintHasCloseAuthority
                );
            }
            ExtensionType::NonTransferable => return err!(FundError::MintNonTransferable),
            ExtensionType::Pausable => return err!(FundError::MintPausable),
            ExtensionType::InterestBearingConfig | ExtensionType::ScaledUiAmount => {
                return err!(FundError::MintUiAmountScaled)
            }
            ExtensionType::TransferFeeConfig
            | ExtensionType::ConfidentialTransferMint
            | ExtensionType::ConfidentialTransferFeeConfig
            | ExtensionType::ConfidentialMintBurn
            | ExtensionType::MetadataPointer
            | ExtensionType::TokenMetadata
            | ExtensionType::GroupPointer
            | ExtensionType::TokenGroup
            | ExtensionType::GroupMemberPointer
            | ExtensionType::TokenGroupMember => {}
            _ => return err!(FundError::MintUnsupportedExtension),
        }
    }
    Ok(())
}

/// Offset of `amount` in an SPL Token / Token-2022 account (mint 32, owner 32, amount 8).
const TOKEN_ACCOUNT_AMOUNT_OFFSET: usize = 64;

/// Bytes a token account of `mint` needs: 165 for SPL Token; for Token-2022 the base account
/// plus the account extensions the mint's extensions require (e.g. `TransferFeeAmount` for
/// a transfer-fee mint), as the token program computes it.
pub fn token_account_space(mint: &AccountInfo) -> Result<usize> {
    if *mint.owner != anchor_spl::token_2022::ID {
        return Ok(anchor_spl::token::TokenAccount::LEN);
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<Mint>::unpack(&data)?;
    let required =
        ExtensionType::get_required_init_account_extensions(&state.get_extension_types()?);
    Ok(ExtensionType::try_calculate_account_len::<
        anchor_spl::token_2022::spl_token_2022::state::Account,
    >(&required)?)
}

/// Reads a token account's balance straight from its data, without unpacking the account.
/// Callers have already verified the account is the vault they expect (address check).
pub fn token_amount(account: &AccountInfo) -> Result<u64> {
    let data = account.try_borrow_data()?;
    let bytes: [u8; 8] = data
        .get(TOKEN_ACCOUNT_AMOUNT_OFFSET..TOKEN_ACCOUNT_AMOUNT_OFFSET + 8)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| error!(FundError::VaultMismatch))?;
    Ok(u64::from_le_bytes(bytes))
}

/// Length of an SPL Token account; Token-2022 accounts with extensions are longer and carry
/// an account-type byte right after it.
const TOKEN_ACCOUNT_LEN: usize = 165;
/// Token-2022 `AccountType::Account`.
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;
/// Offset of the `state` byte (0 = uninitialized, 1 = initialized, 2 = frozen).
const TOKEN_ACCOUNT_STATE_OFFSET: usize = 108;

/// The mint of `account`, which must be an initialized token account owned by
/// `token_program` (`InvalidTokenAccount`). Reads the fixed layout shared by SPL Token and
/// Token-2022 instead of unpacking the account (the unpack costs about 1,500 CU).
pub fn token_account_mint(account: &AccountInfo, token_program: &Pubkey) -> Result<Pubkey> {
    require_keys_eq!(
        *account.owner,
        *token_program,
        FundError::InvalidTokenAccount
    );
    let data = token_account_data(account)?;
    key_at(&data, 0)
}

/// Offset of the `owner` field of a token account (after the 32-byte mint).
const TOKEN_ACCOUNT_OWNER_OFFSET: usize = 32;

/// Checks `account` as an `InterfaceAccount<TokenAccount>` would accept it (an initialized
/// token account of SPL Token or Token-2022, else `InvalidTokenAccount`), read from the fixed
/// layout instead of unpacked, and compares its mint and owner in place:
/// `(mint == expected_mint, owner == expected_owner)`.
pub fn token_account_matches(
    account: &AccountInfo,
    expected_mint: &Pubkey,
    expected_owner: &Pubkey,
) -> Result<(bool, bool)> {
    require!(
        *account.owner == anchor_spl::token::ID || *account.owner == anchor_spl::token_2022::ID,
        FundError::InvalidTokenAccount
    );
    let data = token_account_data(account)?;
    let field = |offset: usize| data.get(offset..offset + 32);
    Ok((
        field(0) == Some(expected_mint.as_ref()),
        field(TOKEN_ACCOUNT_OWNER_OFFSET) == Some(expected_owner.as_ref()),
    ))
}

/// The data of a token account whose owner program the caller has checked: an SPL Token
/// account, or a longer Token-2022 one typed as an account, and initialized (or frozen)
/// (`InvalidTokenAccount`).
fn token_account_data<'a>(account: &'a AccountInfo) -> Result<core::cell::Ref<'a, &'a mut [u8]>> {
    let data = account.try_borrow_data()?;
    let is_account = data.len() == TOKEN_ACCOUNT_LEN
        || (data.len() > TOKEN_ACCOUNT_LEN && data[TOKEN_ACCOUNT_LEN] == ACCOUNT_TYPE_ACCOUNT);
    require!(
        is_account && data[TOKEN_ACCOUNT_STATE_OFFSET] != 0,
        FundError::InvalidTokenAccount
    );
    Ok(data)
}

/// The 32-byte key at `offset` of `data`.
fn key_at(data: &[u8], offset: usize) -> Result<Pubkey> {
    let bytes: [u8; 32] = data
        .get(offset..offset + 32)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| error!(FundError::InvalidTokenAccount))?;
    Ok(Pubkey::new_from_array(bytes))
}

/// SPL Token and Token-2022 `TransferChecked` instruction tag.
const TRANSFER_CHECKED_TAG: u8 = 12;

/// The accounts of a `transfer_checked`: tokens move `from` -> `to` (both of `mint`), signed
/// by `authority` (the owner or delegate of `from`; the fund PDA through `signer_seeds`).
pub struct TransferAccounts<'a, 'info> {
    pub from: &'a AccountInfo<'info>,
    pub mint: &'a AccountInfo<'info>,
    pub to: &'a AccountInfo<'info>,
    pub authority: &'a AccountInfo<'info>,
}

/// `transfer_checked` through `token_program`, which the caller has checked is the asset's
/// token program (SPL Token or Token-2022: the instruction is the same for both).
///
/// The same instruction, accounts and checks as `anchor_spl::token_interface::transfer_checked`
/// followed by `invoke_signed`: each account is checked to be borrowable as the callee will use
/// it (writable: mutably), so no outstanding borrow in this program can alias what the token
/// program writes. Built directly (the accounts are passed in the metas' order, so no search
/// by key is needed), which saves compute units on every deposit, fill and payout.
pub fn transfer_checked(
    token_program: &Pubkey,
    accounts: TransferAccounts<'_, '_>,
    amount: u64,
    decimals: u8,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
    let TransferAccounts {
        from,
        mint,
        to,
        authority,
    } = accounts;
    for writable in [from, to] {
        drop(writable.try_borrow_mut_lamports()?);
        drop(writable.try_borrow_mut_data()?);
    }
    for read_only in [mint, authority] {
        drop(read_only.try_borrow_lamports()?);
        drop(read_only.try_borrow_data()?);
    }
    let mut data = Vec::with_capacity(10);
    data.push(TRANSFER_CHECKED_TAG);
    data.extend_from_slice(&amount.to_le_bytes());
    data.push(decimals);
    let ix = Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*from.key, false),
            AccountMeta::new_readonly(*mint.key, false),
            AccountMeta::new(*to.key, false),
            AccountMeta::new_readonly(*authority.key, true),
        ],
        data,
    };
    anchor_lang::solana_program::program::invoke_signed_unchecked(
        &ix,
        &[from.clone(), mint.clone(), to.clone(), authority.clone()],
        signer_seeds,
    )
    .map_err(Into::into)
}

/// The token program's `CloseAccount` instruction tag (SPL Token and Token-2022 alike).
const CLOSE_ACCOUNT_TAG: u8 = 9;

/// Closes an empty token account owned by `authority` (the fund, signing with
/// `signer_seeds`), its lamports to `destination`: `remove_asset`'s vault. Built like
/// `transfer_checked` (accounts checked borrowable, metas in order).
pub fn close_token_account<'info>(
    token_program: &Pubkey,
    account: &AccountInfo<'info>,
    destination: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
    for writable in [account, destination] {
        drop(writable.try_borrow_mut_lamports()?);
        drop(writable.try_borrow_mut_data()?);
    }
    drop(authority.try_borrow_lamports()?);
    drop(authority.try_borrow_data()?);
    let ix = Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*account.key, false),
            AccountMeta::new(*destination.key, false),
            AccountMeta::new_readonly(*authority.key, true),
        ],
        data: vec![CLOSE_ACCOUNT_TAG],
    };
    anchor_lang::solana_program::program::invoke_signed_unchecked(
        &ix,
        &[account.clone(), destination.clone(), authority.clone()],
        signer_seeds,
    )?;
    Ok(())
}
