//! `ifund init`: a fund configuration file becomes a configured fund on the embedded runtime;
//! a bad file is refused before anything is sent.

use anchor_lang::solana_program::{program_pack::Pack, system_instruction};
use anchor_spl::token_2022::spl_token_2022::{self as t22, state::Mint};
use ifund::chain::{load_fund, send, Chain, EmbeddedChain, SendOptions};
use ifund::config::{execute, FundConfig};
use solana_keypair::Keypair;
use solana_signer::Signer;

fn config(usdc: &str, sol: &str, governance: &str) -> String {
    format!(
        r#"
[fund]
numeraire = "USD"
numeraire_decimals = 6
min_liquid_bps = 5000
governance = "{governance}"
max_price_age_secs = 300

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
haircut_bps = 200
flags = ["deposit", "rebalance-in", "rebalance-out", "draw"]

[rebalance]
band_bps = 300
start_premium_bps = 5
max_premium_bps = 300
auction_duration_secs = 21600
window_secs = 86400
max_volume_per_window = 100000
premium_budget_per_window = 500
min_trade_value = 50

[draws]
approval_threshold = 50000
fund_cap_bps = 2000
window_secs = 86400
"#
    )
}

fn mint(
    chain: &mut EmbeddedChain,
    payer: &Keypair,
    token_program: &anchor_lang::prelude::Pubkey,
    decimals: u8,
) -> Keypair {
    let m = Keypair::new();
    let rent = chain.minimum_balance(Mint::LEN).unwrap();
    let ixs = [
        system_instruction::create_account(
            &payer.pubkey(),
            &m.pubkey(),
            rent,
            Mint::LEN as u64,
            token_program,
        ),
        t22::instruction::initialize_mint2(
            token_program,
            &m.pubkey(),
            &payer.pubkey(),
            None,
            decimals,
        )
        .unwrap(),
    ];
    assert!(send(chain, payer, &[&m], &ixs, &SendOptions::default())
        .unwrap()
        .is_ok());
    m
}

#[test]
fn a_config_file_becomes_a_configured_fund_with_governance_proposed() {
    let mut chain = EmbeddedChain::start().unwrap();
    let payer = chain.payer();
    let usdc = mint(&mut chain, &payer, &anchor_spl::token::ID, 6);
    let sol = mint(&mut chain, &payer, &anchor_spl::token_2022::ID, 9);
    let squads = Keypair::new().pubkey();
    let text = config(
        &usdc.pubkey().to_string(),
        &sol.pubkey().to_string(),
        &squads.to_string(),
    );
    let cfg = FundConfig::parse(&text, "fund.toml").unwrap();
    let plan = cfg.plan("fund.toml", &payer.pubkey()).unwrap();
    let create_key = Keypair::new();
    let mut log = vec![];
    let fund_key = execute(&mut chain, &payer, &create_key, &plan, &mut |m| log.push(m)).unwrap();
    assert_eq!(
        fund_key,
        insurance_fund_client::pda::fund_address(&create_key.pubkey())
    );

    let fund = load_fund(&mut chain, &fund_key).unwrap();
    assert_eq!(fund.asset_count, 2);
    assert_eq!(fund.assets[0].mint, usdc.pubkey());
    assert_eq!(
        (fund.assets[0].target_bps, fund.assets[1].target_bps),
        (6000, 4000)
    );
    assert_eq!(
        fund.assets[1].token_program_id(),
        anchor_spl::token_2022::ID
    );
    assert_eq!(fund.assets[1].haircut_bps, 200);
    assert_eq!(fund.max_price_age_secs, 300);
    assert_eq!(fund.rebalance.band_bps, 300);
    assert_eq!(fund.rebalance.max_volume_per_window, 100_000_000_000);
    assert_eq!(fund.draws.fund_cap_bps, 2000);
    assert_eq!(fund.governance, payer.pubkey());
    assert_eq!(
        fund.pending_governance, squads,
        "the final governance is proposed"
    );
    assert!(
        log.iter().any(|l| l.contains("accept_governance")),
        "{log:?}"
    );
}

#[test]
fn bad_config_fields_are_named_before_anything_is_sent() {
    let signer = Keypair::new().pubkey();
    let ok = config(
        &signer.to_string(),
        &signer.to_string(),
        &signer.to_string(),
    );
    let bad_feed = ok.replace(
        "0xef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d",
        "0x12",
    );
    let e = FundConfig::parse(&bad_feed, "fund.toml")
        .unwrap()
        .plan("fund.toml", &signer)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(e, "fund config fund.toml: `assets[1].feed_id` = \"0x12\": must be 64 hex digits (optionally 0x-prefixed)");
    let bad_mint = ok.replacen(&format!("mint = \"{signer}\""), "mint = \"not-a-key\"", 1);
    let e = FundConfig::parse(&bad_mint, "fund.toml")
        .unwrap()
        .plan("fund.toml", &signer)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("`assets[0].mint` = \"not-a-key\": not a base58 address"),
        "{e}"
    );
    let bad_sum = ok.replace("target_bps = 4000", "target_bps = 3000");
    let e = FundConfig::parse(&bad_sum, "fund.toml")
        .unwrap()
        .plan("fund.toml", &signer)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("sum 9000"), "{e}");
    let bad_flag = ok.replace("\"draw\"]", "\"withdraw\"]");
    let e = FundConfig::parse(&bad_flag, "fund.toml")
        .unwrap()
        .plan("fund.toml", &signer)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("`assets[1].flags` = \"withdraw\""), "{e}");
}

#[test]
fn amounts_are_whole_units_or_atoms_with_the_suffix_never_both() {
    let signer = Keypair::new().pubkey();
    let ok = config(
        &signer.to_string(),
        &signer.to_string(),
        &signer.to_string(),
    );
    let plan = |text: &str| {
        FundConfig::parse(text, "fund.toml")
            .unwrap()
            .plan("fund.toml", &signer)
    };
    // whole numeraire units, as in `ifund propose`'s change file
    let draws = plan(&ok).unwrap().draws.unwrap();
    assert_eq!(draws.approval_threshold, 50_000_000_000);
    // atoms, named so
    let atoms = ok.replace(
        "approval_threshold = 50000",
        "approval_threshold_atoms = 50000",
    );
    assert_eq!(
        plan(&atoms).unwrap().draws.unwrap().approval_threshold,
        50_000
    );
    // both spellings, or neither: refused, naming the fields
    let both = ok.replace(
        "approval_threshold = 50000",
        "approval_threshold = 50000\napproval_threshold_atoms = 50000",
    );
    assert_eq!(
        plan(&both).err().unwrap().to_string(),
        "fund config fund.toml: `draws.approval_threshold` = 50000: `draws.approval_threshold` (whole units) and `draws.approval_threshold_atoms` (atoms) are both given: give the amount once, in one of them"
    );
    let neither = ok.replace("min_trade_value = 50\n", "");
    assert_eq!(
        plan(&neither).err().unwrap().to_string(),
        "fund config fund.toml: `rebalance.min_trade_value` = missing: `rebalance.min_trade_value` is missing: give it in whole units (`rebalance.min_trade_value`) or in atoms (`rebalance.min_trade_value_atoms`)"
    );
}

#[test]
fn an_asset_gets_its_fallback_source_from_the_config() {
    let mut chain = EmbeddedChain::start().unwrap();
    let payer = chain.payer();
    let usdc = mint(&mut chain, &payer, &anchor_spl::token::ID, 6);
    let sol = mint(&mut chain, &payer, &anchor_spl::token::ID, 9);
    let feed = Keypair::new().pubkey();
    let text = config(
        &usdc.pubkey().to_string(),
        &sol.pubkey().to_string(),
        &payer.pubkey().to_string(),
    )
    .replace(
        "haircut_bps = 200\n",
        &format!(
            "haircut_bps = 200\nfallback_feed = \"{feed}\"\nfallback_max_divergence_bps = 150\n"
        ),
    );
    let cfg = FundConfig::parse(&text, "fund.toml").unwrap();
    let plan = cfg.plan("fund.toml", &payer.pubkey()).unwrap();
    let fund_key = execute(&mut chain, &payer, &Keypair::new(), &plan, &mut |_| {}).unwrap();
    let fund = load_fund(&mut chain, &fund_key).unwrap();
    let fb = fund.assets[1].fallback;
    assert!(fb.is_set());
    // the limits not given take their defaults (60 s, 100 bps)
    assert_eq!(
        (
            fb.feed,
            fb.max_age_secs,
            fb.max_conf_bps,
            fb.max_divergence_bps
        ),
        (feed, 60, 100, 150)
    );
    assert!(!fund.assets[0].fallback.is_set());

    // a bad key is named before anything is sent
    let bad = text.replace(&feed.to_string(), "not-a-key");
    let e = FundConfig::parse(&bad, "fund.toml")
        .unwrap()
        .plan("fund.toml", &payer.pubkey())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("`assets[1].fallback_feed` = \"not-a-key\""),
        "{e}"
    );
}

/// `migrations/fund.example.toml`, the file the docs point operators to, reads and plans
/// (amounts in whole numeraire units).
#[test]
fn the_example_configuration_plans() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/fund.example.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let plan = FundConfig::parse(&text, path)
        .unwrap()
        .plan(path, &Keypair::new().pubkey())
        .unwrap();
    let draws = plan.draws.unwrap();
    assert_eq!(draws.approval_threshold, 50_000 * 1_000_000);
    assert_eq!(
        plan.rebalance.unwrap().crisis.max_volume_per_window,
        1_000_000 * 1_000_000
    );
}
