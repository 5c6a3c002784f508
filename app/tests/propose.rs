//! `ifund propose`: a change file becomes a proposal whose diff is checked with the program's
//! own rules, whose instructions execute as printed (tightening at once, loosening queued and
//! executable by anyone after the timelock), and whose Squads and SPL Governance encodings
//! carry exactly those instructions. Bad change files are refused with the field named.

use anchor_lang::solana_program::{program_pack::Pack, system_instruction};
use anchor_spl::token_2022::spl_token_2022::{self as t22, state::Mint};
use base64::Engine;
use ifund::chain::{load_fund, send, Chain, EmbeddedChain, SendOptions};
use ifund::config::{execute, FundConfig};
use ifund::propose;
use insurance_fund::timelock::Effect;
use solana_keypair::Keypair;
use solana_signer::Signer;

fn mint(chain: &mut EmbeddedChain, payer: &Keypair, decimals: u8) -> Keypair {
    let m = Keypair::new();
    let rent = chain.minimum_balance(Mint::LEN).unwrap();
    let p = anchor_spl::token::ID;
    let ixs = [
        system_instruction::create_account(
            &payer.pubkey(),
            &m.pubkey(),
            rent,
            Mint::LEN as u64,
            &p,
        ),
        t22::instruction::initialize_mint2(&p, &m.pubkey(), &payer.pubkey(), None, decimals)
            .unwrap(),
    ];
    assert!(send(chain, payer, &[&m], &ixs, &SendOptions::default())
        .unwrap()
        .is_ok());
    m
}

/// A configured fund (the signer is governance) with a one-day timelock; returns the chain,
/// the governance keypair, the fund and the two mints.
fn fund() -> (
    EmbeddedChain,
    Keypair,
    anchor_lang::prelude::Pubkey,
    [anchor_lang::prelude::Pubkey; 2],
) {
    let mut chain = EmbeddedChain::start().unwrap();
    let payer = chain.payer();
    let usdc = mint(&mut chain, &payer, 6).pubkey();
    let sol = mint(&mut chain, &payer, 9).pubkey();
    let text = format!(
        r#"
[fund]
numeraire = "USD"
numeraire_decimals = 6
min_liquid_bps = 5000
timelock_secs = 86400

[[assets]]
mint = "{usdc}"
class = "liquid"
oracle = "fixed"
fixed_price = 1
target_bps = 6000
max_weight_bps = 8000

[[assets]]
mint = "{sol}"
class = "yield-bearing"
oracle = "pyth"
feed_id = "0xef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d"
target_bps = 4000
max_weight_bps = 5000

[rebalance]
band_bps = 300
start_premium_bps = 5
max_premium_bps = 300
auction_duration_secs = 21600
window_secs = 86400
max_volume_per_window = 100000
premium_budget_per_window = 500
min_trade_value = 50
"#
    );
    let cfg = FundConfig::parse(&text, "fund.toml").unwrap();
    let plan = cfg.plan("fund.toml", &payer.pubkey()).unwrap();
    let fund = execute(&mut chain, &payer, &Keypair::new(), &plan, &mut |_| {}).unwrap();
    assert_eq!(load_fund(&mut chain, &fund).unwrap().timelock_secs, 86_400);
    (chain, payer, fund, [usdc, sol])
}

#[test]
fn a_change_file_becomes_a_proposal_that_executes_as_printed() {
    let (mut chain, gov, fund_key, [usdc, sol]) = fund();
    let change = propose::parse(&format!(
        r#"
[targets]
"{usdc}" = 7000
"{sol}" = 3000

[bounds]
min_liquid_bps = 6000

[rebalance]
max_premium_bps = 400

[assets."{sol}"]
max_weight_bps = 4500
"#
    ))
    .unwrap();
    let before = load_fund(&mut chain, &fund_key).unwrap();
    let p = propose::build(fund_key, &before, &change).unwrap();

    // tightening changes apply at once, the premium rise is queued
    let kinds: Vec<(&str, Effect, bool)> = p
        .steps
        .iter()
        .map(|s| {
            (
                s.title.split(' ').next().unwrap(),
                s.effect,
                s.execute.is_some(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("update_asset", Effect::Tightens, false),
            ("set_bounds", Effect::Tightens, false),
            ("set_rebalance_params", Effect::Loosens, true),
            ("set_targets", Effect::Tightens, false),
        ]
    );
    let text = propose::render(&p);
    for expected in [
        "min_liquid_bps: 5000 -> 6000",
        &format!("asset {sol} max_weight_bps: 5000 -> 4500"),
        &format!("asset {usdc} target_bps: 6000 -> 7000"),
        "LOOSENS: queued, executable by anyone 86400 s after the proposal executes",
        "== Squads v4",
        "== SPL Governance",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }

    // the Squads message: governance is the only signer and pays; it holds the instructions
    let message = bs58::decode(propose::squads_message_base58(&p))
        .into_vec()
        .unwrap();
    assert_eq!(message[0], 1, "one required signature");
    assert_eq!(
        &message[4..36],
        gov.pubkey().as_ref(),
        "fee payer = governance"
    );
    let ixs = p.instructions();
    assert_eq!(
        *message.last().unwrap(),
        *ixs.last().unwrap().data.last().unwrap()
    );
    // SPL Governance InstructionData: program id, metas, data, as the instruction
    for (data, ix) in propose::spl_governance_instruction_data(&p)
        .iter()
        .zip(&ixs)
    {
        let b = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        assert_eq!(&b[..32], ix.program_id.as_ref());
        let n = u32::from_le_bytes(b[32..36].try_into().unwrap()) as usize;
        assert_eq!(n, ix.accounts.len());
        for (k, m) in ix.accounts.iter().enumerate() {
            let at = 36 + k * 34;
            assert_eq!(&b[at..at + 32], m.pubkey.as_ref());
            assert_eq!(
                (b[at + 32] == 1, b[at + 33] == 1),
                (m.is_signer, m.is_writable)
            );
        }
        assert_eq!(&b[36 + n * 34 + 4..], &ix.data[..]);
    }

    // governance executes the proposal: everything but the premium rise applies now
    let r = send(&mut chain, &gov, &[], &ixs, &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}", r.logs.join("\n"));
    let after = load_fund(&mut chain, &fund_key).unwrap();
    assert_eq!(
        (after.assets[0].target_bps, after.assets[1].target_bps),
        (7000, 3000)
    );
    assert_eq!(after.min_liquid_bps, 6000);
    assert_eq!(after.assets[1].max_weight_bps, 4500);
    assert_eq!(after.rebalance.max_premium_bps, 300);

    // a day later anyone executes the queued change, as printed
    let (pending, execute_ix) = p.steps[2].execute.clone().unwrap();
    assert!(chain.get_account(&pending).unwrap().is_some());
    let now = chain.clock().unwrap().unix_timestamp;
    chain.set_time(now + 86_400).unwrap();
    let keeper = Keypair::new();
    let fee = 10_000_000;
    let fund_keeper = system_instruction::transfer(&gov.pubkey(), &keeper.pubkey(), fee);
    assert!(send(
        &mut chain,
        &gov,
        &[],
        &[fund_keeper],
        &SendOptions::default()
    )
    .unwrap()
    .is_ok());
    let mut ix = execute_ix;
    ix.accounts[0].pubkey = keeper.pubkey();
    let r = send(&mut chain, &keeper, &[], &[ix], &SendOptions::default()).unwrap();
    assert!(r.is_ok(), "{}", r.logs.join("\n"));
    assert_eq!(
        load_fund(&mut chain, &fund_key)
            .unwrap()
            .rebalance
            .max_premium_bps,
        400
    );
    assert!(chain.get_account(&pending).unwrap().is_none());
}

#[test]
fn changes_the_program_would_refuse_are_refused_locally_with_the_reason() {
    let (mut chain, _, fund_key, [usdc, sol]) = fund();
    let fund = load_fund(&mut chain, &fund_key).unwrap();
    let err = |toml: String| {
        let change = propose::parse(&toml).map_err(|e| format!("{e:#}"));
        match change {
            Err(e) => e,
            Ok(c) => format!("{:#}", propose::build(fund_key, &fund, &c).unwrap_err()),
        }
    };
    let e = err(format!("[targets]\n\"{usdc}\" = 6000\n\"{sol}\" = 3000\n"));
    assert!(
        e.contains("set_targets would be refused") && e.contains("TargetsSumInvalid"),
        "{e}"
    );
    let e = err(format!("[targets]\n\"{usdc}\" = 10000\n"));
    assert!(
        e.contains("targets: asset 1") && e.contains("is missing"),
        "{e}"
    );
    let e = err("[bounds]\nmin_liquid_bps = 20000\n".into());
    assert!(
        e.contains("set_bounds would be refused") && e.contains("MinLiquidShareTooHigh"),
        "{e}"
    );
    let e = err("[rebalance]\nmax_premium_bps = 5000\n".into());
    assert!(e.contains("InvalidPremium"), "{e}");
    let e = err("[bounds]\nmin_liquidity = 1\n".into());
    assert!(e.contains("unknown field `min_liquidity`"), "{e}");
    let e = err("[assets.\"nope\"]\nhaircut_bps = 1\n".into());
    assert!(
        e.contains("assets.\"nope\": \"nope\" is not a public key"),
        "{e}"
    );
    let e = err(format!("[assets.\"{sol}\"]\nclass = \"stable\"\n"));
    assert!(
        e.contains(&format!(
            "assets.\"{sol}\".class: \"stable\" is not a class"
        )),
        "{e}"
    );
    let e = err("# nothing\n".into());
    assert!(e.contains("proposes nothing"), "{e}");
}
