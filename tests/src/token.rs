//! Mints and token accounts for SPL Token and Token-2022 (with extensions), made through
//! the real token programs.

use crate::runtime::new_keypair;
use crate::runtime::TestContext;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::{
    instruction::Instruction, program_pack::Pack, system_instruction,
};
use anchor_spl::token_2022::spl_token_2022::{
    self as t22,
    extension::{
        default_account_state, interest_bearing_mint, pausable, scaled_ui_amount, transfer_fee,
        transfer_hook, BaseStateWithExtensions, ExtensionType, StateWithExtensions,
    },
    state::{Account as TokenAccountState, AccountState, Mint as MintState},
};
use insurance_fund_client::decode;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Which token program a mint belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Spl,
    Token2022,
}

impl TokenKind {
    pub fn program_id(self) -> Pubkey {
        match self {
            TokenKind::Spl => anchor_spl::token::ID,
            TokenKind::Token2022 => anchor_spl::token_2022::ID,
        }
    }
}

/// A Token-2022 mint extension to create a mint with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MintExt {
    TransferFee { bps: u16, max_fee: u64 },
    PermanentDelegate,
    TransferHook,
    DefaultFrozen,
    DefaultInitialized,
    NonTransferable,
    CloseAuthority,
    InterestBearing,
    ScaledUiAmount,
    Pausable,
}

impl MintExt {
    fn extension_type(self) -> ExtensionType {
        match self {
            MintExt::TransferFee { .. } => ExtensionType::TransferFeeConfig,
            MintExt::PermanentDelegate => ExtensionType::PermanentDelegate,
            MintExt::TransferHook => ExtensionType::TransferHook,
            MintExt::DefaultFrozen | MintExt::DefaultInitialized => {
                ExtensionType::DefaultAccountState
            }
            MintExt::NonTransferable => ExtensionType::NonTransferable,
            MintExt::CloseAuthority => ExtensionType::MintCloseAuthority,
            MintExt::InterestBearing => ExtensionType::InterestBearingConfig,
            MintExt::ScaledUiAmount => ExtensionType::ScaledUiAmount,
            MintExt::Pausable => ExtensionType::Pausable,
        }
    }
}

/// A mint made by the harness; the payer is its mint authority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestMint {
    pub key: Pubkey,
    pub kind: TokenKind,
    pub decimals: u8,
}

impl TestMint {
    pub fn program_id(&self) -> Pubkey {
        self.kind.program_id()
    }
}

impl TestContext {
    /// Creates a mint (payer = mint authority, no freeze authority) with `exts`.
    pub async fn create_mint(
        &mut self,
        kind: TokenKind,
        decimals: u8,
        exts: &[MintExt],
    ) -> TestMint {
        assert!(
            kind == TokenKind::Token2022 || exts.is_empty(),
            "SPL Token has no extensions"
        );
        let mint = new_keypair();
        let program = kind.program_id();
        let authority = self.payer_key();
        let space = match kind {
            TokenKind::Spl => MintState::LEN,
            TokenKind::Token2022 => {
                let types: Vec<_> = exts.iter().map(|e| e.extension_type()).collect();
                ExtensionType::try_calculate_account_len::<MintState>(&types).unwrap()
            }
        };
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let mut ixs = vec![system_instruction::create_account(
            &authority,
            &mint.pubkey(),
            rent.minimum_balance(space),
            space as u64,
            &program,
        )];
        let m = mint.pubkey();
        let other = Pubkey::new_unique();
        for ext in exts {
            ixs.push(
                match *ext {
                    MintExt::TransferFee { bps, max_fee } => {
                        transfer_fee::instruction::initialize_transfer_fee_config(
                            &program,
                            &m,
                            Some(&authority),
                            Some(&authority),
                            bps,
                            max_fee,
                        )
                    }
                    MintExt::PermanentDelegate => {
                        t22::instruction::initialize_permanent_delegate(&program, &m, &other)
                    }
                    MintExt::TransferHook => transfer_hook::instruction::initialize(
                        &program,
                        &m,
                        Some(authority),
                        Some(other),
                    ),
                    MintExt::DefaultFrozen => {
                        default_account_state::instruction::initialize_default_account_state(
                            &program,
                            &m,
                            &AccountState::Frozen,
                        )
                    }
                    MintExt::DefaultInitialized => {
                        default_account_state::instruction::initialize_default_account_state(
                            &program,
                            &m,
                            &AccountState::Initialized,
                        )
                    }
                    MintExt::NonTransferable => {
                        t22::instruction::initialize_non_transferable_mint(&program, &m)
                    }
                    MintExt::CloseAuthority => t22::instruction::initialize_mint_close_authority(
                        &program,
                        &m,
                        Some(&authority),
                    ),
                    MintExt::InterestBearing => interest_bearing_mint::instruction::initialize(
                        &program,
                        &m,
                        Some(authority),
                        500,
                    ),
                    MintExt::ScaledUiAmount => scaled_ui_amount::instruction::initialize(
                        &program,
                        &m,
                        Some(authority),
                        1.5,
                    ),
                    MintExt::Pausable => {
                        pausable::instruction::initialize(&program, &m, &authority)
                    }
                }
                .unwrap(),
            );
        }
        // A default-frozen mint needs a freeze authority.
        let freeze = exts
            .iter()
            .any(|e| matches!(e, MintExt::DefaultFrozen | MintExt::DefaultInitialized))
            .then_some(&authority);
        ixs.push(
            t22::instruction::initialize_mint2(&program, &m, &authority, freeze, decimals).unwrap(),
        );
        self.send_ok(&ixs, &[&mint]).await;
        TestMint {
            key: m,
            kind,
            decimals,
        }
    }

    /// Creates a token account for `mint` owned by `owner` (a fresh keypair account, not an
    /// ATA, so tests can make as many as they like).
    pub async fn create_token_account(&mut self, mint: &TestMint, owner: &Pubkey) -> Pubkey {
        let account = new_keypair();
        let program = mint.program_id();
        let space = self.token_account_len(mint).await;
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let ixs = [
            system_instruction::create_account(
                &self.payer_key(),
                &account.pubkey(),
                rent.minimum_balance(space),
                space as u64,
                &program,
            ),
            t22::instruction::initialize_account3(&program, &account.pubkey(), &mint.key, owner)
                .unwrap(),
        ];
        self.send_ok(&ixs, &[&account]).await;
        account.pubkey()
    }

    /// Mints `amount` to `to` (the payer is every harness mint's authority).
    pub async fn mint_to(&mut self, mint: &TestMint, to: &Pubkey, amount: u64) {
        let ix = t22::instruction::mint_to(
            &mint.program_id(),
            &mint.key,
            to,
            &self.payer_key(),
            &[],
            amount,
        )
        .unwrap();
        self.send_ok(&[ix], &[]).await;
    }

    /// A `transfer_checked` of `amount` of `mint` from `from` (owned by `owner`) to `to`:
    /// what a keeper's route ends with when it delivers into a vault.
    pub fn transfer_ix(
        &self,
        mint: &TestMint,
        from: &Pubkey,
        to: &Pubkey,
        owner: &Pubkey,
        amount: u64,
    ) -> Instruction {
        t22::instruction::transfer_checked(
            &mint.program_id(),
            from,
            &mint.key,
            to,
            owner,
            &[],
            amount,
            mint.decimals,
        )
        .unwrap()
    }

    /// A funded token account for `owner`.
    pub async fn funded_token_account(
        &mut self,
        mint: &TestMint,
        owner: &Pubkey,
        amount: u64,
    ) -> Pubkey {
        let account = self.create_token_account(mint, owner).await;
        if amount > 0 {
            self.mint_to(mint, &account, amount).await;
        }
        account
    }

    /// The token balance of a token account (either program).
    pub async fn token_balance(&mut self, account: &Pubkey) -> u64 {
        let data = self
            .account(account)
            .await
            .expect("token account exists")
            .data;
        decode::token_account(&data).expect("token account").amount
    }

    /// Owner and mint of a token account.
    pub async fn token_account_state(&mut self, account: &Pubkey) -> TokenAccountState {
        let data = self
            .account(account)
            .await
            .expect("token account exists")
            .data;
        decode::token_account(&data).expect("token account")
    }
}

impl TestContext {
    /// The size of a token account of `mint`: with the extensions a Token-2022 mint requires
    /// of its accounts.
    async fn token_account_len(&mut self, mint: &TestMint) -> usize {
        match mint.kind {
            TokenKind::Spl => TokenAccountState::LEN,
            TokenKind::Token2022 => {
                let data = self.account(&mint.key).await.unwrap().data;
                let state = StateWithExtensions::<MintState>::unpack(&data).unwrap();
                let required = ExtensionType::get_required_init_account_extensions(
                    &state.get_extension_types().unwrap(),
                );
                ExtensionType::try_calculate_account_len::<TokenAccountState>(&required).unwrap()
            }
        }
    }

    /// One token account per mint in `mints`, each owned by `owner` and holding `amount`,
    /// created and funded in a single transaction (scenario tests need many of them).
    pub async fn funded_token_accounts(
        &mut self,
        mints: &[TestMint],
        owner: &Pubkey,
        amount: u64,
    ) -> Vec<Pubkey> {
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let mut ixs = vec![];
        let mut keys = vec![];
        for mint in mints {
            let account = new_keypair();
            let program = mint.program_id();
            let space = self.token_account_len(mint).await;
            ixs.push(system_instruction::create_account(
                &self.payer_key(),
                &account.pubkey(),
                rent.minimum_balance(space),
                space as u64,
                &program,
            ));
            ixs.push(
                t22::instruction::initialize_account3(
                    &program,
                    &account.pubkey(),
                    &mint.key,
                    owner,
                )
                .unwrap(),
            );
            if amount > 0 {
                ixs.push(
                    t22::instruction::mint_to(
                        &program,
                        &mint.key,
                        &account.pubkey(),
                        &self.payer_key(),
                        &[],
                        amount,
                    )
                    .unwrap(),
                );
            }
            keys.push(account);
        }
        let signers: Vec<&Keypair> = keys.iter().collect();
        self.send_ok(&ixs, &signers).await;
        keys.iter().map(|k| k.pubkey()).collect()
    }
}
