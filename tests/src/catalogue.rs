//! Every instruction of the program, built valid against one configured fund, with the
//! keypairs that sign it: the input of the attack-class matrices in `tests/suite/attacks/`
//! (each attack is tried on every instruction it applies to), and checked against the IDL so
//! a new instruction cannot be left out.

use crate::fixture::*;
use crate::presets::*;
use crate::runtime::{new_keypair, TestContext};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_fund::instructions::InitializeFundArgs;
use insurance_fund::state::BoundsArgs;
use insurance_fund::state::LiquidityClass;
use insurance_fund::timelock::ConfigChange;
use solana_keypair::Keypair;
use solana_signer::Signer;

const ONE: u64 = 1_000_000;

/// A fund where every instruction has what it needs: two liquid assets with targets and
/// deposits, rebalancing and draws configured, a claimant with an open shortfall (id 0) and a
/// payout account, a queued change, a keeper and a depositor holding both assets, and a mint
/// not yet registered.
pub struct World {
    pub f: FundFixture,
    pub claimant: Keypair,
    /// The claimant's payout owner, and its account of asset 0.
    pub payout_owner: Pubkey,
    pub payout: Pubkey,
    pub keeper: Keypair,
    pub keeper_accounts: [Pubkey; 2],
    pub depositor: Keypair,
    pub source: Pubkey,
    pub new_mint: crate::token::TestMint,
    pub queued: ConfigChange,
}

/// One instruction, named as in the IDL, and the keypairs that sign it (besides the payer).
pub struct Catalogued {
    pub name: &'static str,
    pub ix: Instruction,
    pub signers: Vec<Keypair>,
}

/// Configures rebalancing and draws (`rebalance_config`, `draw_config`) and registers a new
/// claimant with `claimant_caps`: its authority and payout owner.
pub async fn configure_rebalance_draws_and_claimant(f: &mut FundFixture) -> (Keypair, Pubkey) {
    let gov = f.gov();
    let claimant = new_keypair();
    let owner = Pubkey::new_unique();
    f.send_gov(&[
        f.set_rebalance_params_ix(&gov, rebalance_config()),
        f.set_draw_params_ix(&gov, draw_config()),
        f.register_claimant_ix(&gov, claimant.pubkey(), owner, claimant_caps()),
    ])
    .await
    .unwrap();
    (claimant, owner)
}

impl World {
    pub async fn new() -> World {
        let mut f = TestBuilder::new().build().await;
        let (claimant, owner) = configure_rebalance_draws_and_claimant(&mut f).await;
        f.deposit(0, 600 * ONE).await;
        f.deposit(1, 400 * ONE).await;
        f.set_pyth_price(1, 100_000_000, -8, 0).await;
        f.ctx.send_ok(&[f.refresh_ix(f.all_assets())], &[]).await;
        let ix = f.declare_ix(&claimant.pubkey(), &claimant.pubkey(), 0, 10 * ONE, [1; 32]);
        f.ctx.send_ok(&[ix], &[&claimant]).await;
        let payout = f
            .ctx
            .create_token_account(&f.h.assets[0].mint, &owner)
            .await;
        let keeper = new_keypair();
        let k0 = f
            .ctx
            .funded_token_account(&f.h.assets[0].mint, &keeper.pubkey(), 100 * ONE)
            .await;
        let k1 = f
            .ctx
            .funded_token_account(&f.h.assets[1].mint, &keeper.pubkey(), 100 * ONE)
            .await;
        let (depositor, source) = f.depositor(0, 100 * ONE).await;
        let new_mint = f
            .ctx
            .create_mint(crate::token::TokenKind::Spl, 6, &[])
            .await;
        let queued = ConfigChange::SetGuardian {
            guardian: Some(Pubkey::new_unique()),
        };
        let payer = f.payer;
        f.send_gov(&[f.queue_change_ix(&f.gov(), &payer, queued.clone())])
            .await
            .unwrap();
        World {
            f,
            claimant,
            payout_owner: owner,
            payout,
            keeper,
            keeper_accounts: [k0, k1],
            depositor,
            source,
            new_mint,
            queued,
        }
    }

    pub fn ctx(&mut self) -> &mut TestContext {
        &mut self.f.ctx
    }

    /// Every instruction, in the program's order.
    pub fn every_instruction(&self) -> Vec<Catalogued> {
        let f = &self.f;
        let gov = || f.governance.insecure_clone();
        let g = f.gov();
        let c = self.claimant.pubkey();
        let create_key = new_keypair();
        let next = new_keypair();
        let bounds = BoundsArgs {
            min_liquid_bps: 5_000,
            max_price_age_secs: 100,
            max_pause_secs: 86_400,
            timelock_secs: 0,
        };
        let params0 = asset_params(LiquidityClass::Liquid, 7_000, fixed_oracle());
        let one = |name, ix, signers: Vec<Keypair>| Catalogued { name, ix, signers };
        vec![
            one(
                "initialize_fund",
                initialize_fund_ix(
                    &f.payer,
                    &create_key.pubkey(),
                    InitializeFundArgs {
                        governance: g,
                        guardian: None,
                        numeraire: *b"USD\0\0\0\0\0",
                        numeraire_decimals: 6,
                        min_liquid_bps: 0,
                    },
                ),
                vec![create_key],
            ),
            one(
                "add_asset",
                f.add_asset_ix(&g, &self.new_mint, params0),
                vec![gov()],
            ),
            one(
                "update_asset",
                f.update_asset_ix(&g, &f.h.assets[0].mint.key, params0),
                vec![gov()],
            ),
            one("retire_asset", f.retire_asset_ix(&g, 0), vec![gov()]),
            one(
                "remove_asset",
                f.remove_asset_ix(&g, 0, f.payer),
                vec![gov()],
            ),
            one(
                "set_targets",
                f.set_targets_ix(&g, vec![5_000, 5_000]),
                vec![gov()],
            ),
            one("set_bounds", f.set_bounds_args_ix(&g, bounds), vec![gov()]),
            one(
                "propose_governance",
                f.propose_governance_ix(&g, next.pubkey()),
                vec![gov()],
            ),
            one(
                "accept_governance",
                f.accept_governance_ix(&next.pubkey()),
                vec![next.insecure_clone()],
            ),
            one(
                "cancel_governance_transfer",
                f.cancel_governance_transfer_ix(&g),
                vec![gov()],
            ),
            one("set_guardian", f.set_guardian_ix(&g, None), vec![gov()]),
            one(
                "set_rebalance_params",
                f.set_rebalance_params_ix(&g, rebalance_config()),
                vec![gov()],
            ),
            one(
                "set_draw_params",
                f.set_draw_params_ix(&g, draw_config()),
                vec![gov()],
            ),
            one(
                "register_claimant",
                f.register_claimant_ix(&g, Pubkey::new_unique(), self.payout, claimant_caps()),
                vec![gov()],
            ),
            one(
                "update_claimant",
                f.update_claimant_ix(&g, &c, self.payout, claimant_caps(), true),
                vec![gov()],
            ),
            one(
                "remove_claimant",
                f.remove_claimant_ix(&g, &c, f.payer),
                vec![gov()],
            ),
            one("approve_shortfall", f.approve_ix(&g, 0), vec![gov()]),
            one(
                "queue_change",
                f.queue_change_ix(&g, &f.payer, ConfigChange::SetGuardian { guardian: None }),
                vec![gov()],
            ),
            one(
                "cancel_change",
                f.cancel_change_ix(&g, f.pending_change_address(&self.queued), f.payer),
                vec![gov()],
            ),
            one("unpause", f.unpause_ix(&g, 1), vec![gov()]),
            one(
                "pause",
                f.pause_ix(&f.guardian.pubkey(), 1),
                vec![f.guardian.insecure_clone()],
            ),
            one(
                "declare_shortfall",
                f.declare_ix(&c, &c, 1, ONE, [2; 32]),
                vec![self.claimant.insecure_clone()],
            ),
            one(
                "cancel_shortfall",
                f.cancel_ix(&c, &c, 0),
                vec![self.claimant.insecure_clone()],
            ),
            one(
                "draw",
                f.draw_ix(&c, 0, ONE, &[(0, self.payout)]),
                vec![self.claimant.insecure_clone()],
            ),
            one("close_shortfall", f.close_shortfall_ix(0, f.payer), vec![]),
            one("refresh_prices", f.refresh_ix(f.all_assets()), vec![]),
            one("get_nav", f.get_nav_ix(), vec![]),
            one("sync_auctions", f.sync_auctions_ix(), vec![]),
            one(
                "rebalance",
                f.rebalance_ix(
                    &self.keeper.pubkey(),
                    1,
                    &self.keeper_accounts[1],
                    0,
                    &self.keeper_accounts[0],
                    ONE,
                    0,
                ),
                vec![self.keeper.insecure_clone()],
            ),
            one(
                "rebalance_begin",
                f.rebalance_begin_ix(&self.keeper.pubkey(), 1, 0, &self.keeper_accounts[0], ONE),
                vec![self.keeper.insecure_clone()],
            ),
            one(
                "rebalance_end",
                f.rebalance_end_ix(&self.keeper.pubkey(), 1, 0),
                vec![self.keeper.insecure_clone()],
            ),
            one(
                "deposit_fees",
                f.deposit_ix(&self.depositor.pubkey(), 0, &self.source, ONE),
                vec![self.depositor.insecure_clone()],
            ),
        ]
    }
}

/// The instruction names in `idl/insurance_fund.json`, snake_case, in IDL order.
pub fn idl_instruction_names() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../idl/insurance_fund.json");
    let idl = std::fs::read_to_string(path).expect("idl/insurance_fund.json");
    // a light scan (no JSON dependency): in the generated IDL each instruction object's own
    // `"name"` is indented exactly six spaces; its accounts' and args' names are deeper
    let start = idl
        .find("\"instructions\": [")
        .expect("instructions section");
    let body = &idl[start..];
    let end = body.find("\n  ]").expect("end of the instructions section");
    body[..end]
        .lines()
        .filter_map(|l| {
            l.strip_prefix("      \"name\": \"")
                .and_then(|r| r.strip_suffix("\","))
                .map(str::to_string)
        })
        .collect()
}
