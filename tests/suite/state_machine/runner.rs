//! The runner: the fund under test, its snapshots, and the proptest driver that runs random
//! sequences of operations on it.

use super::*;

/// Every account a step may touch, as stored.
pub(super) struct Snapshot {
    pub(super) fund: Box<Fund>,
    pub(super) accounts: Vec<(Pubkey, Option<Account>)>,
}

impl Snapshot {
    pub(super) fn balance(&self, key: &Pubkey) -> u64 {
        let (_, acc) = self.accounts.iter().find(|(k, _)| k == key).unwrap();
        let data = &acc.as_ref().expect("token account").data;
        StateWithExtensions::<TokenState>::unpack(data)
            .unwrap()
            .base
            .amount
    }

    pub(super) fn record<T: AccountDeserialize>(&self, key: &Pubkey) -> Option<T> {
        let (_, acc) = self.accounts.iter().find(|(k, _)| k == key)?;
        acc.as_ref()
            .map(|a| T::try_deserialize(&mut &a.data[..]).unwrap())
    }
}

/// Accepted steps over the whole run, reported at the end (to show the sequences do reach
/// fills, draws and the rest).
pub(super) static ACCEPTED: [AtomicUsize; 17] = [const { AtomicUsize::new(0) }; 17];
pub(super) static REFUSED: [AtomicUsize; 17] = [const { AtomicUsize::new(0) }; 17];
/// Declarations that created their record on an address a griefer had funded.
pub(super) static DECLARED_ON_PREFUNDED: AtomicUsize = AtomicUsize::new(0);
/// Split declarations: accepted ones that needed no approval, and that needed it.
pub(super) static SPLIT_UNAPPROVED: AtomicUsize = AtomicUsize::new(0);
pub(super) static SPLIT_NEEDING_APPROVAL: AtomicUsize = AtomicUsize::new(0);
/// Accepted draws whose groups skipped a dust asset, and a stale one.
pub(super) static DRAWS_SKIPPING_DUST: AtomicUsize = AtomicUsize::new(0);
pub(super) static DRAWS_SKIPPING_STALE: AtomicUsize = AtomicUsize::new(0);
/// Accepted draws while an asset was stale, and those whose fund-wide capacity it shrank.
pub(super) static DRAWS_WITH_STALE: AtomicUsize = AtomicUsize::new(0);
pub(super) static DRAWS_CAP_WITHOUT_STALE: AtomicUsize = AtomicUsize::new(0);
/// Fills while a third asset was stale: accepted, and refused with `StalePricesLiquidOnly`.
pub(super) static FILLS_WITH_STALE: AtomicUsize = AtomicUsize::new(0);
pub(super) static FILLS_REFUSED_STALE_ONLY: AtomicUsize = AtomicUsize::new(0);
/// Accepted fills while a third asset was stale that left the out-asset below its target at
/// cached prices (allowed: its weight is overstated while the stale asset counts 0).
pub(super) static FILLS_STALE_BELOW_CACHED_TARGET: AtomicUsize = AtomicUsize::new(0);
/// Syncs accepted while an asset was stale.
pub(super) static SYNCS_WITH_STALE: AtomicUsize = AtomicUsize::new(0);

pub(super) struct Sm {
    pub(super) f: FundFixture,
    pub(super) claimant: Keypair,
    pub(super) payout_owner: Pubkey,
    pub(super) payout: Vec<Pubkey>,
    pub(super) keeper: Keypair,
    pub(super) keeper_accounts: Vec<Pubkey>,
    pub(super) depositor: Keypair,
    pub(super) deposit_accounts: Vec<Pubkey>,
    pub(super) intruder: Keypair,
    /// Pyth spot (= EMA) mantissa and confidence per asset (USDC's are unused: fixed price).
    pub(super) price: [i64; N],
    pub(super) conf: [u64; N],
    usdt_fee: TransferFeeConfig,
    epoch: u64,
    /// Shortfalls declared so far.
    pub(super) ids: Vec<u64>,
    /// The claimant's approval bucket, as the model keeps it.
    pub(super) bucket: Bucket,
    /// The rollback adversary's own price update account.
    pub(super) old_update: Pubkey,
    /// Declarations accepted without approval `(time, amount)` since the draw parameters
    /// were last seen to change, and those parameters `(threshold, window)`.
    pub(super) unapproved: Vec<(i64, u64)>,
    pub(super) unapproved_cfg: (u64, u32),
}

impl Sm {
    /// A new fund in the runtime `ctx` (each sequence gets its own fund, mints and accounts;
    /// the runtime is shared to save its start-up).
    /// `dust_start`: the first asset in the waterfall starts with a dust balance (so draws may
    /// skip it).
    async fn setup(mut ctx: TestContext, dust_start: bool) -> Sm {
        let fee = MintExt::TransferFee {
            bps: 25,
            max_fee: 5 * USD,
        };
        let h = TestBuilder::new()
            .assets(vec![
                AssetSpec::new(
                    TokenKind::Spl,
                    6,
                    asset_params(LiquidityClass::Liquid, 7_000, fixed_oracle()),
                    4_000,
                ),
                AssetSpec::new(
                    TokenKind::Token2022,
                    6,
                    asset_params(LiquidityClass::Liquid, 6_000, pyth_oracle(2)),
                    3_000,
                )
                .with_exts(&[fee]),
                AssetSpec::new(
                    TokenKind::Spl,
                    9,
                    asset_params(LiquidityClass::YieldBearing, 4_000, pyth_oracle(3)),
                    2_000,
                ),
                AssetSpec::new(
                    TokenKind::Spl,
                    6,
                    asset_params(LiquidityClass::Illiquid, 2_500, pyth_oracle(4)),
                    1_000,
                ),
            ])
            .min_liquid_bps(5_000)
            .create(&mut ctx)
            .await;
        let mut f = FundFixture { ctx, h };
        let claimant = Keypair::new();
        let owner = Pubkey::new_unique();
        let gov = f.gov();
        f.send_gov(&[
            f.set_rebalance_params_ix(&gov, rebalance_params()),
            f.set_draw_params_ix(&gov, draw_params()),
            f.register_claimant_ix(&gov, claimant.pubkey(), owner, claimant_caps()),
        ])
        .await
        .unwrap();
        let mints: Vec<TestMint> = f.h.assets.iter().map(|a| a.mint).collect();
        let keeper = Keypair::new();
        let keeper_accounts = f
            .ctx
            .funded_token_accounts(&mints, &keeper.pubkey(), INVENTORY)
            .await;
        let depositor = Keypair::new();
        let deposit_accounts = f
            .ctx
            .funded_token_accounts(&mints, &depositor.pubkey(), INVENTORY)
            .await;
        let payout = f.ctx.funded_token_accounts(&mints, &owner, 0).await;
        let data = f.ctx.account(&mints[USDT].key).await.unwrap().data;
        let usdt_fee = *StateWithExtensions::<MintState>::unpack(&data)
            .unwrap()
            .get_extension::<TransferFeeConfig>()
            .unwrap();
        let epoch = f
            .ctx
            .ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .unwrap()
            .epoch;
        let mut sm = Sm {
            f,
            claimant,
            payout_owner: owner,
            payout,
            keeper,
            keeper_accounts,
            depositor,
            deposit_accounts,
            intruder: Keypair::new(),
            price: INITIAL_PRICE,
            conf: [0; N],
            usdt_fee,
            epoch,
            ids: vec![],
            bucket: Bucket::default(),
            old_update: Pubkey::new_unique(),
            unapproved: vec![],
            unapproved_cfg: (0, 0),
        };
        // off target (USDC and USDT under, LST over) with little of the first asset in the
        // waterfall (or dust of it), so draws reach the later ones
        let ixs: Vec<_> = [2_000u64, 1_500, 2_500, 500]
            .into_iter()
            .enumerate()
            .map(|(k, usd)| {
                let amount = if k == 0 && dust_start {
                    700
                } else {
                    sm.atoms(k, usd)
                };
                sm.f.deposit_ix(&sm.depositor.pubkey(), k, &sm.deposit_accounts[k], amount)
            })
            .collect();
        let depositor = sm.depositor.insecure_clone();
        sm.f.ctx.send_ok(&ixs, &[&depositor]).await;
        sm.publish().await;
        let ixs = [sm.f.refresh_ix(sm.f.all_assets()), sm.f.sync_auctions_ix()];
        sm.f.ctx.send_ok(&ixs, &[]).await;
        sm
    }

    /// Atoms of asset `k` worth `usd` whole USD at its current model price.
    pub(super) fn atoms(&self, k: usize, usd: u64) -> u64 {
        let unit = 10u128.pow(u32::from(DECIMALS[k]));
        (u128::from(usd) * unit * 100_000_000 / self.price[k] as u128) as u64
    }

    /// The Token-2022 transfer fee withheld from a transfer of `amount` of asset `k`.
    pub(super) fn fee(&self, k: usize, amount: u64) -> u64 {
        if k == USDT {
            self.usdt_fee
                .calculate_epoch_fee(self.epoch, amount)
                .unwrap()
        } else {
            0
        }
    }

    /// The amount to send so that `received` arrives (at least, for the fee asset).
    pub(super) fn gross_up(&self, k: usize, received: u64) -> u64 {
        if k == USDT && received > 0 {
            self.usdt_fee
                .get_epoch_fee(self.epoch)
                .calculate_pre_fee_amount(received)
                .unwrap()
        } else {
            received
        }
    }

    /// Publishes every Pyth price at the bank's current time.
    pub(super) async fn publish(&mut self) {
        for k in 1..N {
            self.f
                .set_pyth_price(k, self.price[k], EXPO, self.conf[k])
                .await;
        }
    }

    /// The assets whose feed is alive: USDC (fixed) and the Pyth assets publishing within
    /// their 100 bps confidence bound.
    pub(super) fn live_assets(&self) -> u16 {
        (0..N)
            .filter(|&k| k == 0 || self.conf[k] * 10_000 <= self.price[k] as u64 * 100)
            .fold(0, |m, k| m | (1 << k))
    }

    pub(super) fn vaults(&self) -> Vec<Pubkey> {
        self.f.h.assets.iter().map(|a| a.vault).collect()
    }

    pub(super) async fn snapshot(&mut self) -> Snapshot {
        let mut keys = vec![self.f.fund, self.claimant_key()];
        let next = self.ids.len() as u64;
        keys.extend((0..=next + MAX_SPLIT as u64).map(|id| self.f.shortfall_address(id)));
        keys.extend(self.vaults());
        keys.extend(self.keeper_accounts.iter().copied());
        keys.extend(self.deposit_accounts.iter().copied());
        keys.extend(self.payout.iter().copied());
        // concurrent reads: one bank round trip's latency instead of one per account
        let tasks: Vec<_> = keys
            .iter()
            .map(|key| {
                let client = self.f.ctx.ctx.banks_client.clone();
                let key = *key;
                tokio::spawn(async move { client.get_account(key).await.expect("get_account") })
            })
            .collect();
        let mut accounts = vec![];
        for (key, task) in keys.into_iter().zip(tasks) {
            accounts.push((key, task.await.expect("read task")));
        }
        let data = &accounts[0].1.as_ref().expect("fund").data;
        assert_eq!(&data[..8], Fund::DISCRIMINATOR);
        let fund = Box::new(*bytemuck::from_bytes::<Fund>(&data[8..]));
        // the records read cover every id handed out, and the next one
        assert!(
            fund.draw_state.shortfall_count <= next + MAX_SPLIT as u64,
            "declared ids tracked"
        );
        Snapshot { fund, accounts }
    }

    pub(super) fn claimant_key(&self) -> Pubkey {
        self.f.claimant_address(&self.claimant.pubkey())
    }
}

/// Runs one sequence on a new fund in `ctx`, and hands the runtime back.
async fn run(ctx: TestContext, dust_start: bool, ops: Vec<Op>) -> TestContext {
    let mut sm = Sm::setup(ctx, dust_start).await;
    for op in &ops {
        match op {
            // a split in a row: one transaction per part, the clock moving between them
            Op::Split {
                parts,
                gap: Some(secs),
            } => {
                for (j, part) in parts.iter().enumerate() {
                    if j > 0 {
                        sm.f.ctx.advance_clock(*secs).await;
                    }
                    let one = Op::Split {
                        parts: vec![*part],
                        gap: None,
                    };
                    sm.step(&one).await;
                }
            }
            _ => sm.step(op).await,
        }
    }
    sm.f.ctx
}

#[test]
fn random_operation_sequences_keep_the_fund_invariants() {
    let default = match mode() {
        Mode::Native => 256,
        Mode::Sbf => 64,
    };
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // One runtime for every sequence (each on its own fund); a panicking sequence loses it
    // and the next one starts a new runtime.
    let runtime: RefCell<Option<TestContext>> = RefCell::new(None);
    runner
        .run(
            &(
                prop::bool::weighted(0.35),
                proptest::collection::vec(op(), 10..30),
            ),
            |(dust_start, ops)| {
                let ctx = runtime.borrow_mut().take();
                let ctx = rt.block_on(async {
                    let ctx = match ctx {
                        Some(ctx) => ctx,
                        None => TestContext::start(program_test()).await,
                    };
                    run(ctx, dust_start, ops).await
                });
                *runtime.borrow_mut() = Some(ctx);
                Ok(())
            },
        )
        .unwrap();
    let report: Vec<String> = (0..OP_NAMES.len())
        .map(|k| {
            format!(
                "{} {}/{}",
                OP_NAMES[k],
                ACCEPTED[k].load(Relaxed),
                ACCEPTED[k].load(Relaxed) + REFUSED[k].load(Relaxed)
            )
        })
        .collect();
    eprintln!("accepted/total steps: {}", report.join(", "));
    let prefunded = DECLARED_ON_PREFUNDED.load(Relaxed);
    eprintln!("declarations on a pre-funded address: {prefunded}");
    eprintln!(
        "split declarations accepted: {} without approval, {} needing it; draws skipping dust: {}",
        SPLIT_UNAPPROVED.load(Relaxed),
        SPLIT_NEEDING_APPROVAL.load(Relaxed),
        DRAWS_SKIPPING_DUST.load(Relaxed)
    );
    eprintln!(
        "with a stale asset: fills accepted {} (out-asset left below its target at cached \
         prices {}; refused StalePricesLiquidOnly {}), draws accepted {} (capacity below the \
         full-NAV one {}, skipping a stale asset {}), syncs {}",
        FILLS_WITH_STALE.load(Relaxed),
        FILLS_STALE_BELOW_CACHED_TARGET.load(Relaxed),
        FILLS_REFUSED_STALE_ONLY.load(Relaxed),
        DRAWS_WITH_STALE.load(Relaxed),
        DRAWS_CAP_WITHOUT_STALE.load(Relaxed),
        DRAWS_SKIPPING_STALE.load(Relaxed),
        SYNCS_WITH_STALE.load(Relaxed)
    );
    assert!(prefunded > 0, "no declaration met a pre-funded address");
}

/// Regression for the draw rounding this test found (docs/threat-model.md, Findings): a draw
/// credited the shortfall `value_floor(amount, upper)`, so when an atom's value is not a whole
/// numeraire atom the claimant received up to one numeraire atom per asset more than was
/// credited, and NAV fell by one more than the credit. Fixed by crediting
/// `value_ceil(amount, upper)`.
#[tokio::test]
async fn a_draw_never_pays_more_value_than_it_credits() {
    // one liquid Pyth asset at 1.00000003 with no confidence (lower = upper = the price),
    // the fixed-price numeraire asset empty so the draw pays from the Pyth asset alone
    let mut f = TestBuilder::new().build().await;
    f.deposit(1, 1_000 * USD).await;
    f.set_pyth_price(1, 100_000_003, EXPO, 0).await;
    f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
    let claimant = Keypair::new();
    let owner = Pubkey::new_unique();
    let gov = f.gov();
    f.send_gov(&[
        f.set_draw_params_ix(&gov, draw_params()),
        f.register_claimant_ix(&gov, claimant.pubkey(), owner, claimant_caps()),
    ])
    .await
    .unwrap();
    let mint = f.h.assets[1].mint;
    let payout = f.ctx.create_token_account(&mint, &owner).await;
    let ca = claimant.pubkey();
    f.ctx
        .send_ok(
            &[f.declare_ix(&ca, &ca, 0, 100 * USD, [0; 32])],
            &[&claimant],
        )
        .await;
    let nav_before = f.state().await.nav().unwrap();
    let ix = f.draw_ix(&ca, 0, 100 * USD, &[(1, payout)]);
    f.ctx.send_ok(&[ix], &[&claimant]).await;
    let fund = f.state().await;
    let credited = u128::from(fund.draw_state.total_drawn);
    let nav_fall = nav_before - fund.nav().unwrap();
    // 99,999,997 atoms at 1.00000003 are worth 99,999,999.99999991 numeraire atoms: credited
    // 100,000,000 (rounded up), and NAV falls by 100,000,000
    let received = f.ctx.token_balance(&payout).await;
    assert_eq!((received, credited), (99_999_997, 100_000_000));
    assert!(
        nav_fall <= credited,
        "NAV fell by {nav_fall}, the shortfall was credited {credited}"
    );
}
