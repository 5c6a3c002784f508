//! `TestBuilder`: a configured fund (mints, vaults, targets) in one call, and every fund
//! instruction built for it from the fixture's records, through the client's builders
//! (`insurance_fund_client::ix`) and addresses (`insurance_fund_client::pda`).

use crate::oracle::pyth_price;
use crate::runtime::{new_keypair, program_test, Outcome, TestContext};
use crate::token::{MintExt, TestMint, TokenKind};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::instructions::InitializeFundArgs;
use insurance_fund::state::BoundsArgs;
use insurance_fund::state::{
    AssetParams, ClaimantCaps, DrawConfig, Fund, LiquidityClass, OracleSource, RebalanceConfig,
};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::presets::{asset_params, fixed_oracle, pyth_oracle};
use anchor_lang::solana_program::instruction::AccountMeta;
use insurance_fund_client::ix::{self as cix, AssetKeys};
pub use insurance_fund_client::pda::{fund_address, vault_address};
use insurance_fund_client::remaining::draw_group;
use insurance_fund_client::{decode, pda};

/// One asset the builder registers.
#[derive(Clone, Debug)]
pub struct AssetSpec {
    pub kind: TokenKind,
    pub decimals: u8,
    pub exts: Vec<MintExt>,
    pub params: AssetParams,
    pub target_bps: u16,
}

impl AssetSpec {
    pub fn new(kind: TokenKind, decimals: u8, params: AssetParams, target_bps: u16) -> Self {
        Self {
            kind,
            decimals,
            exts: vec![],
            params,
            target_bps,
        }
    }

    pub fn with_exts(mut self, exts: &[MintExt]) -> Self {
        self.exts = exts.to_vec();
        self
    }
}

/// The three-asset fund many tests use, with targets 50/30/20 and the given max weights:
/// USDC (SPL Token, fixed 1.00, liquid), USDT (Token-2022, Pyth feed 2, liquid), LST (SPL
/// Token, Pyth feed 3, yield-bearing), all with 6 decimals.
pub fn usdc_usdt_lst(max_weight_bps: [u16; 3]) -> Vec<AssetSpec> {
    let [usdc, usdt, lst] = max_weight_bps;
    vec![
        AssetSpec::new(
            TokenKind::Spl,
            6,
            asset_params(LiquidityClass::Liquid, usdc, fixed_oracle()),
            5_000,
        ),
        AssetSpec::new(
            TokenKind::Token2022,
            6,
            asset_params(LiquidityClass::Liquid, usdt, pyth_oracle(2)),
            3_000,
        ),
        AssetSpec::new(
            TokenKind::Spl,
            6,
            asset_params(LiquidityClass::YieldBearing, lst, pyth_oracle(3)),
            2_000,
        ),
    ]
}

/// Builds a fund: mints, the fund account, its assets and (when every spec has one) its
/// targets, in one call.
pub struct TestBuilder {
    assets: Vec<AssetSpec>,
    min_liquid_bps: u16,
    numeraire_decimals: u8,
    with_guardian: bool,
}

impl Default for TestBuilder {
    /// Two liquid stablecoins (SPL Token, Token-2022) at 60/40, minimum liquid share 50 %.
    fn default() -> Self {
        Self {
            assets: vec![
                AssetSpec::new(
                    TokenKind::Spl,
                    6,
                    asset_params(LiquidityClass::Liquid, 8_000, fixed_oracle()),
                    6_000,
                ),
                AssetSpec::new(
                    TokenKind::Token2022,
                    6,
                    asset_params(LiquidityClass::Liquid, 6_000, pyth_oracle(2)),
                    4_000,
                ),
            ],
            min_liquid_bps: 5_000,
            numeraire_decimals: 6,
            with_guardian: true,
        }
    }
}

impl TestBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fund without assets.
    pub fn empty() -> Self {
        Self {
            assets: vec![],
            min_liquid_bps: 0,
            ..Self::default()
        }
    }

    pub fn assets(mut self, assets: Vec<AssetSpec>) -> Self {
        self.assets = assets;
        self
    }

    pub fn min_liquid_bps(mut self, bps: u16) -> Self {
        self.min_liquid_bps = bps;
        self
    }

    pub fn without_guardian(mut self) -> Self {
        self.with_guardian = false;
        self
    }

    pub async fn build(self) -> FundFixture {
        let mut ctx = TestContext::start(program_test()).await;
        let handle = self.create(&mut ctx).await;
        FundFixture { ctx, h: handle }
    }

    /// Creates the fund inside an existing runtime (for tests with several funds).
    pub async fn create(self, ctx: &mut TestContext) -> FundHandle {
        let governance = new_keypair();
        let guardian = new_keypair();
        let create_key = new_keypair();
        let fund = fund_address(&create_key.pubkey());
        let args = InitializeFundArgs {
            governance: governance.pubkey(),
            guardian: self.with_guardian.then(|| guardian.pubkey()),
            numeraire: *b"USD\0\0\0\0\0",
            numeraire_decimals: self.numeraire_decimals,
            min_liquid_bps: self.min_liquid_bps,
        };
        let ix = initialize_fund_ix(&ctx.payer_key(), &create_key.pubkey(), args);
        ctx.send_ok(&[ix], &[&create_key]).await;

        let mut h = FundHandle {
            fund,
            payer: ctx.payer_key(),
            create_key,
            governance,
            guardian,
            assets: vec![],
        };
        for spec in &self.assets {
            let mint = ctx.create_mint(spec.kind, spec.decimals, &spec.exts).await;
            h.add_asset(ctx, mint, spec.params).await.unwrap();
        }
        if self.assets.iter().any(|a| a.target_bps > 0) {
            let targets: Vec<u16> = self.assets.iter().map(|a| a.target_bps).collect();
            let ix = h.set_targets_ix(&h.gov(), targets);
            ctx.send_ok(&[ix], &[&h.governance]).await;
        }
        h
    }
}

/// A registered asset.
#[derive(Clone, Copy, Debug)]
pub struct TestAsset {
    pub mint: TestMint,
    pub vault: Pubkey,
    /// Its Pyth price account (Pyth-sourced assets), seeded at 1.00 when the asset is added.
    pub oracle: Option<Pubkey>,
    pub feed_id: [u8; 32],
    /// Its fallback pull feed account, when the test configured one.
    pub fallback: Option<Pubkey>,
}

/// A fund's address, the keys that control it and its assets; builds its instructions.
pub struct FundHandle {
    pub fund: Pubkey,
    /// Pays rent for accounts the fund creates (the runtime's payer).
    pub payer: Pubkey,
    pub create_key: Keypair,
    pub governance: Keypair,
    pub guardian: Keypair,
    pub assets: Vec<TestAsset>,
}

/// A runtime with one fund in it (more can be added with `TestBuilder::create`).
pub struct FundFixture {
    pub ctx: TestContext,
    pub h: FundHandle,
}

impl std::ops::Deref for FundFixture {
    type Target = FundHandle;
    fn deref(&self) -> &FundHandle {
        &self.h
    }
}

impl FundFixture {
    /// The fund account as stored (discriminator checked).
    pub async fn state(&mut self) -> Box<Fund> {
        self.h.state(&mut self.ctx).await
    }

    /// Adds `mint` with `params`, signed by governance; records it on success.
    pub async fn add_asset(
        &mut self,
        mint: TestMint,
        params: AssetParams,
    ) -> std::result::Result<Outcome, Outcome> {
        self.h.add_asset(&mut self.ctx, mint, params).await
    }

    /// The fund's `NavReport`: `get_nav`'s return data in SBF mode; natively (where return
    /// data is not captured) the same `NavReport::build` run on the fund account, after
    /// checking that `get_nav` itself succeeds.
    pub async fn nav_report(&mut self) -> insurance_fund::instructions::NavReport {
        let out = self.ctx.send_ok(&[self.h.get_nav_ix()], &[]).await;
        match crate::runtime::mode() {
            crate::runtime::Mode::Sbf => out.returned(),
            crate::runtime::Mode::Native => {
                let now = self.ctx.now().await;
                let fund = self.state().await;
                insurance_fund::instructions::NavReport::build(&fund, now).unwrap()
            }
        }
    }

    /// Deposits `amount` atoms of asset `k` from a fresh depositor.
    pub async fn deposit(&mut self, k: usize, amount: u64) {
        let (who, source) = self.depositor(k, amount).await;
        let ix = self.h.deposit_ix(&who.pubkey(), k, &source, amount);
        self.ctx.send_ok(&[ix], &[&who]).await;
    }

    /// Publishes a Pyth price for asset `k` (EMA equal to spot, confidence `conf`, now).
    pub async fn set_pyth_price(&mut self, k: usize, price: i64, expo: i32, conf: u64) {
        let now = self.ctx.now().await;
        let a = self.h.assets[k];
        let mut p = pyth_price(a.feed_id, price, expo, now);
        p.conf = conf;
        p.ema_conf = conf;
        self.ctx
            .set_price(&a.oracle.expect("a Pyth-priced asset"), &p);
    }

    /// Publishes a Pyth price for asset `k` whose spot has moved away from its EMA (a gap the
    /// EMA has not caught up with), both with confidence `conf`, now.
    pub async fn set_pyth_gap(&mut self, k: usize, spot: i64, ema: i64, expo: i32, conf: u64) {
        let now = self.ctx.now().await;
        let a = self.h.assets[k];
        let mut p = pyth_price(a.feed_id, spot, expo, now);
        (p.conf, p.ema_price, p.ema_conf) = (conf, ema, conf);
        self.ctx
            .set_price(&a.oracle.expect("a Pyth-priced asset"), &p);
    }

    /// Sends `ixs` signed by governance.
    pub async fn send_gov(&mut self, ixs: &[Instruction]) -> Outcome {
        let gov = self.h.governance.insecure_clone();
        self.ctx.send(ixs, &[&gov]).await
    }

    /// A depositor keypair with a token account of asset `i` holding `amount`.
    pub async fn depositor(&mut self, i: usize, amount: u64) -> (Keypair, Pubkey) {
        let who = new_keypair();
        let mint = self.h.assets[i].mint;
        let account = self
            .ctx
            .funded_token_account(&mint, &who.pubkey(), amount)
            .await;
        (who, account)
    }
}

pub fn initialize_fund_ix(
    payer: &Pubkey,
    create_key: &Pubkey,
    args: InitializeFundArgs,
) -> Instruction {
    cix::initialize_fund(payer, create_key, args)
}

impl FundHandle {
    /// The fund account as stored (discriminator checked).
    pub async fn state(&self, ctx: &mut TestContext) -> Box<Fund> {
        let data = ctx.account(&self.fund).await.expect("fund exists").data;
        decode::fund(&data).expect("a Fund account")
    }

    pub fn gov(&self) -> Pubkey {
        self.governance.pubkey()
    }

    /// Adds `mint` with `params`, signed by governance; records it on success.
    pub async fn add_asset(
        &mut self,
        ctx: &mut TestContext,
        mint: TestMint,
        params: AssetParams,
    ) -> std::result::Result<Outcome, Outcome> {
        let ix = self.add_asset_ix(&self.gov(), &mint, params);
        let out = ctx.send(&[ix], &[&self.governance]).await;
        if out.result.is_ok() {
            let oracle = (params.oracle.source == OracleSource::PythPull).then(Pubkey::new_unique);
            if let Some(key) = oracle {
                let now = ctx.now().await;
                ctx.set_price(
                    &key,
                    &pyth_price(params.oracle.feed_id, 100_000_000, -8, now),
                );
            }
            self.assets.push(TestAsset {
                mint,
                vault: vault_address(&self.fund, &mint.key),
                oracle,
                feed_id: params.oracle.feed_id,
                fallback: params.fallback.map(|f| f.feed),
            });
            Ok(out)
        } else {
            Err(out)
        }
    }

    pub fn add_asset_ix(
        &self,
        governance: &Pubkey,
        mint: &TestMint,
        params: AssetParams,
    ) -> Instruction {
        cix::add_asset(
            &self.fund,
            governance,
            &self.payer,
            &mint.key,
            &mint.program_id(),
            params,
        )
    }

    pub fn update_asset_ix(
        &self,
        governance: &Pubkey,
        mint: &Pubkey,
        params: AssetParams,
    ) -> Instruction {
        cix::update_asset(&self.fund, governance, mint, params)
    }

    pub fn retire_asset_ix(&self, governance: &Pubkey, k: usize) -> Instruction {
        cix::retire_asset(&self.fund, governance, self.assets[k].mint.key)
    }

    /// `remove_asset` of asset `k` (as the fixture registered it), rent to `rent_recipient`.
    pub fn remove_asset_ix(
        &self,
        governance: &Pubkey,
        k: usize,
        rent_recipient: Pubkey,
    ) -> Instruction {
        let a = &self.assets[k];
        cix::remove_asset(
            &self.fund,
            governance,
            a.mint.key,
            a.vault,
            a.mint.program_id(),
            rent_recipient,
        )
    }

    pub fn set_targets_ix(&self, governance: &Pubkey, targets: Vec<u16>) -> Instruction {
        cix::set_targets(&self.fund, governance, targets)
    }

    /// `set_bounds` with the given liquid floor and the default max price age.
    pub fn set_bounds_ix(&self, governance: &Pubkey, min_liquid_bps: u16) -> Instruction {
        self.set_bounds_args_ix(
            governance,
            BoundsArgs {
                min_liquid_bps,
                max_price_age_secs: insurance_fund::constants::DEFAULT_MAX_PRICE_AGE_SECS,
                max_pause_secs: insurance_fund::constants::DEFAULT_MAX_PAUSE_SECS,
                timelock_secs: 0,
            },
        )
    }

    pub fn set_bounds_args_ix(&self, governance: &Pubkey, args: BoundsArgs) -> Instruction {
        cix::set_bounds(&self.fund, governance, args)
    }

    /// `refresh_prices` for the assets in `mask`, with the documented remaining accounts
    /// (price account for Pyth assets, fallback feed for assets with one, then vault), built
    /// from the fixture's records.
    pub fn refresh_ix(&self, mask: u16) -> Instruction {
        let mut metas = vec![];
        for (i, a) in self.assets.iter().enumerate() {
            if mask & (1 << i) != 0 {
                if let Some(o) = a.oracle {
                    metas.push((o, false));
                }
                if let Some(fb) = a.fallback {
                    metas.push((fb, false));
                }
                metas.push((a.vault, false));
            }
        }
        self.refresh_ix_with(mask, &metas)
    }

    /// `refresh_prices` with the remaining accounts given as (key, writable).
    pub fn refresh_ix_with(&self, mask: u16, remaining: &[(Pubkey, bool)]) -> Instruction {
        let metas = remaining
            .iter()
            .map(|&(k, writable)| {
                if writable {
                    AccountMeta::new(k, false)
                } else {
                    AccountMeta::new_readonly(k, false)
                }
            })
            .collect();
        cix::refresh_prices(&self.fund, mask, metas)
    }

    /// Mask selecting every registered asset.
    pub fn all_assets(&self) -> u16 {
        ((1u32 << self.assets.len()) - 1) as u16
    }

    pub fn set_rebalance_params_ix(
        &self,
        governance: &Pubkey,
        params: RebalanceConfig,
    ) -> Instruction {
        cix::set_rebalance_params(&self.fund, governance, params)
    }

    pub fn sync_auctions_ix(&self) -> Instruction {
        cix::sync_auctions(&self.fund)
    }

    /// A keeper fill delivering asset `i` from `keeper_in` and taking asset `o` into
    /// `keeper_out`.
    #[allow(clippy::too_many_arguments)]
    pub fn rebalance_ix(
        &self,
        keeper: &Pubkey,
        i: usize,
        keeper_in: &Pubkey,
        o: usize,
        keeper_out: &Pubkey,
        amount_in: u64,
        min_amount_out: u64,
    ) -> Instruction {
        cix::rebalance(
            &self.fund,
            keeper,
            &self.asset_keys(i),
            keeper_in,
            &self.asset_keys(o),
            keeper_out,
            amount_in,
            min_amount_out,
        )
    }

    /// The keys of asset `k` as the client's instruction builders take them.
    pub fn asset_keys(&self, k: usize) -> AssetKeys {
        let a = &self.assets[k];
        AssetKeys {
            mint: a.mint.key,
            vault: a.vault,
            token_program: a.mint.program_id(),
        }
    }

    /// `rebalance_begin`: lends `amount_out` of asset `o` into `keeper_out` for a delivery
    /// of asset `i`.
    pub fn rebalance_begin_ix(
        &self,
        keeper: &Pubkey,
        i: usize,
        o: usize,
        keeper_out: &Pubkey,
        amount_out: u64,
    ) -> Instruction {
        cix::rebalance_begin(
            &self.fund,
            keeper,
            &self.asset_keys(i),
            &self.asset_keys(o),
            keeper_out,
            amount_out,
        )
    }

    /// `rebalance_end` of a flash fill of asset `i` in for asset `o` out.
    pub fn rebalance_end_ix(&self, keeper: &Pubkey, i: usize, o: usize) -> Instruction {
        cix::rebalance_end(&self.fund, keeper, &self.asset_keys(i), &self.asset_keys(o))
    }

    // ---- shortfalls and draws -------------------------------------------------------------

    pub fn set_draw_params_ix(&self, governance: &Pubkey, params: DrawConfig) -> Instruction {
        cix::set_draw_params(&self.fund, governance, params)
    }

    /// `["claimant", fund, authority]`.
    pub fn claimant_address(&self, authority: &Pubkey) -> Pubkey {
        pda::claimant_address(&self.fund, authority)
    }

    /// `["shortfall", fund, id]`.
    pub fn shortfall_address(&self, id: u64) -> Pubkey {
        pda::shortfall_address(&self.fund, id)
    }

    pub fn register_claimant_ix(
        &self,
        governance: &Pubkey,
        authority: Pubkey,
        payout_owner: Pubkey,
        caps: ClaimantCaps,
    ) -> Instruction {
        cix::register_claimant(
            &self.fund,
            governance,
            &self.payer,
            authority,
            payout_owner,
            caps,
        )
    }

    /// `update_claimant` of the claimant of `claimant_authority`.
    pub fn update_claimant_ix(
        &self,
        governance: &Pubkey,
        claimant_authority: &Pubkey,
        payout_owner: Pubkey,
        caps: ClaimantCaps,
        enabled: bool,
    ) -> Instruction {
        cix::update_claimant(
            &self.fund,
            governance,
            claimant_authority,
            payout_owner,
            caps,
            enabled,
        )
    }

    /// `remove_claimant` of the claimant of `claimant_authority`.
    pub fn remove_claimant_ix(
        &self,
        governance: &Pubkey,
        claimant_authority: &Pubkey,
        rent_receiver: Pubkey,
    ) -> Instruction {
        cix::remove_claimant(&self.fund, governance, claimant_authority, rent_receiver)
    }

    /// `declare_shortfall` by `declarer` for the claimant of `claimant_authority`; the
    /// runtime's payer pays the rent.
    pub fn declare_ix(
        &self,
        declarer: &Pubkey,
        claimant_authority: &Pubkey,
        id: u64,
        amount: u64,
        reference: [u8; 32],
    ) -> Instruction {
        cix::declare_shortfall(
            &self.fund,
            declarer,
            &self.payer,
            claimant_authority,
            id,
            amount,
            reference,
        )
    }

    pub fn approve_ix(&self, governance: &Pubkey, id: u64) -> Instruction {
        cix::approve_shortfall(&self.fund, governance, id)
    }

    pub fn cancel_ix(
        &self,
        authority: &Pubkey,
        claimant_authority: &Pubkey,
        id: u64,
    ) -> Instruction {
        cix::cancel_shortfall(&self.fund, authority, claimant_authority, id)
    }

    pub fn close_shortfall_ix(&self, id: u64, rent_payer: Pubkey) -> Instruction {
        cix::close_shortfall(&self.fund, id, rent_payer)
    }

    /// `draw` by `authority` for shortfall `id`, paying from assets `pay` (in the order
    /// given) into the matching `destinations`.
    pub fn draw_ix(
        &self,
        authority: &Pubkey,
        id: u64,
        max_value: u64,
        pay: &[(usize, Pubkey)],
    ) -> Instruction {
        let groups = pay
            .iter()
            .flat_map(|&(k, destination)| draw_group(&self.asset_keys(k), destination))
            .collect();
        cix::draw(&self.fund, authority, id, max_value, groups)
    }

    pub fn get_nav_ix(&self) -> Instruction {
        cix::get_nav(&self.fund)
    }

    pub fn propose_governance_ix(
        &self,
        governance: &Pubkey,
        new_governance: Pubkey,
    ) -> Instruction {
        cix::propose_governance(&self.fund, governance, new_governance)
    }

    pub fn accept_governance_ix(&self, new_governance: &Pubkey) -> Instruction {
        cix::accept_governance(&self.fund, new_governance)
    }

    pub fn cancel_governance_transfer_ix(&self, governance: &Pubkey) -> Instruction {
        cix::cancel_governance_transfer(&self.fund, governance)
    }

    pub fn set_guardian_ix(&self, governance: &Pubkey, guardian: Option<Pubkey>) -> Instruction {
        cix::set_guardian(&self.fund, governance, guardian)
    }

    pub fn pause_ix(&self, authority: &Pubkey, flags: u8) -> Instruction {
        cix::pause(&self.fund, authority, flags)
    }

    pub fn unpause_ix(&self, governance: &Pubkey, flags: u8) -> Instruction {
        cix::unpause(&self.fund, governance, flags)
    }

    /// `deposit_fees` of asset `i`'s mint into asset `i`'s vault.
    pub fn deposit_ix(
        &self,
        depositor: &Pubkey,
        i: usize,
        source: &Pubkey,
        amount: u64,
    ) -> Instruction {
        let a = self.assets[i];
        self.deposit_ix_with(
            depositor,
            &a.mint.key,
            &a.vault,
            source,
            &a.mint.program_id(),
            amount,
        )
    }

    /// `deposit_fees` with every account chosen by the caller.
    pub fn deposit_ix_with(
        &self,
        depositor: &Pubkey,
        mint: &Pubkey,
        vault: &Pubkey,
        source: &Pubkey,
        token_program: &Pubkey,
        amount: u64,
    ) -> Instruction {
        let asset = AssetKeys {
            mint: *mint,
            vault: *vault,
            token_program: *token_program,
        };
        cix::deposit_fees(&self.fund, depositor, &asset, source, amount)
    }
}
