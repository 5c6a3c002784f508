//! `ifund` end to end against a real validator: one fund's life through the binary, each step
//! asserted on what the validator returns over JSON-RPC, and the failures a user meets.
//!
//! Run: `cargo build -p ifund` (the main workspace), then
//! `cargo test --manifest-path e2e/Cargo.toml --locked` (see README.md, *End to end*).

use insurance_fund_e2e::accounts::{self, PythPrice, TOKEN_2022_PROGRAM, TOKEN_PROGRAM};
use insurance_fund_e2e::fund::{self, FundView, ShortfallView};
use insurance_fund_e2e::idl::Idl;
use insurance_fund_e2e::ifund::{self, write_keypair};
use insurance_fund_e2e::proxy::Proxy;
use insurance_fund_e2e::validator::Validator;
use solana_instruction::AccountMeta;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::path::PathBuf;
use std::time::Duration;

const USDC_FEED: &str = "0xeaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a";
const LST_FEED: &str = "0xef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";
const SOL: u64 = 1_000_000_000;
const USDC: u64 = 1_000_000; // 6 decimals, the numeraire's too
const LST: u64 = 1_000_000_000; // 9 decimals
const TIMELOCK_SECS: i64 = 3600;

struct Keys {
    operator: Keypair,
    depositor: Keypair,
    keeper: Keypair,
    keeper2: Keypair,
    claimant: Keypair,
    treasury: Keypair,
    usdc: Keypair,
    lst: Keypair,
}

/// A key as `ifund status` abbreviates it: `8b9w…EftJ`.
fn short(key: &Pubkey) -> String {
    let s = key.to_string();
    format!("{}…{}", &s[..4], &s[s.len() - 4..])
}

fn fund_view(v: &Validator, fund: &Pubkey) -> FundView {
    FundView::decode(&v.data(fund).unwrap().expect("the fund account exists"))
}

fn config_toml(k: &Keys) -> String {
    format!(
        r#"[fund]
numeraire = "USD"
numeraire_decimals = 6
min_liquid_bps = 3000
max_price_age_secs = 600
timelock_secs = {TIMELOCK_SECS}

[[assets]]
mint = "{usdc}"
class = "liquid"
oracle = "pyth"
feed_id = "{USDC_FEED}"
max_age_secs = 600
max_conf_bps = 50
peg_band_bps = 50
target_bps = 5000
max_weight_bps = 10000

[[assets]]
mint = "{lst}"
class = "yield-bearing"
oracle = "pyth"
feed_id = "{LST_FEED}"
max_age_secs = 600
max_conf_bps = 100
target_bps = 5000
max_weight_bps = 7000
haircut_bps = 0

[rebalance]
band_bps = 300
start_premium_bps = 50
max_premium_bps = 300
auction_duration_secs = 3600
window_secs = 86400
max_volume_per_window = 1000000
premium_budget_per_window = 10000
min_trade_value = 10

[draws]
approval_threshold = 5000
fund_cap_bps = 2000
window_secs = 86400

[[claimants]]
authority = "{claimant}"
payout_owner = "{treasury}"
max_per_shortfall = 10000
max_per_window = 10000
lifetime_max = 100000
"#,
        usdc = k.usdc.pubkey(),
        lst = k.lst.pubkey(),
        claimant = k.claimant.pubkey(),
        treasury = k.treasury.pubkey(),
    )
}

/// The fund's `.so`: `<main target dir>/deploy/insurance_fund.so`.
fn program_so() -> PathBuf {
    insurance_fund_e2e::main_target_dir().join("deploy/insurance_fund.so")
}

#[test]
fn ifund_runs_a_fund_on_a_real_validator() {
    let idl = Idl::load().unwrap();
    let program = idl.program_id;
    let anchor_toml =
        std::fs::read_to_string(insurance_fund_e2e::repo_root().join("Anchor.toml")).unwrap();
    assert!(
        anchor_toml.contains(&format!("insurance_fund = \"{program}\"")),
        "the IDL's address is the program id in Anchor.toml"
    );
    let k = Keys {
        operator: Keypair::new(),
        depositor: Keypair::new(),
        keeper: Keypair::new(),
        keeper2: Keypair::new(),
        claimant: Keypair::new(),
        treasury: Keypair::new(),
        usdc: Keypair::new(),
        lst: Keypair::new(),
    };
    let (usdc, lst) = (k.usdc.pubkey(), k.lst.pubkey());
    let usdc_feed = accounts::feed_id(USDC_FEED);
    let lst_feed = accounts::feed_id(LST_FEED);
    let prices = vec![
        (
            accounts::pyth_feed_address(&usdc_feed),
            PythPrice {
                feed_id: usdc_feed,
                price: 100_000_000,
                conf: 20_000,
                expo: -8,
                publish_time: 0,
            },
        ),
        (
            accounts::pyth_feed_address(&lst_feed),
            PythPrice {
                feed_id: lst_feed,
                price: 15_000_000_000,
                conf: 15_000_000,
                expo: -8,
                publish_time: 0,
            },
        ),
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let depositor_usdc = accounts::ata(&k.depositor.pubkey(), &usdc, &TOKEN_2022_PROGRAM);
    let keeper_lst = accounts::ata(&k.keeper.pubkey(), &lst, &TOKEN_PROGRAM);
    let keeper2_lst = accounts::ata(&k.keeper2.pubkey(), &lst, &TOKEN_PROGRAM);
    let treasury_usdc = accounts::ata(&k.treasury.pubkey(), &usdc, &TOKEN_2022_PROGRAM);
    let mut genesis = vec![
        (k.operator.pubkey(), accounts::system_account(100 * SOL)),
        (k.depositor.pubkey(), accounts::system_account(10 * SOL)),
        (k.keeper.pubkey(), accounts::system_account(10 * SOL)),
        (k.keeper2.pubkey(), accounts::system_account(10 * SOL)),
        (k.claimant.pubkey(), accounts::system_account(10 * SOL)),
        // USDC on Token-2022, the LST on SPL Token
        (
            usdc,
            accounts::mint(
                TOKEN_2022_PROGRAM,
                &k.operator.pubkey(),
                1_000_000 * USDC,
                6,
            ),
        ),
        (
            lst,
            accounts::mint(TOKEN_PROGRAM, &k.operator.pubkey(), 200 * LST, 9),
        ),
        (
            depositor_usdc,
            accounts::token_account(
                TOKEN_2022_PROGRAM,
                &usdc,
                &k.depositor.pubkey(),
                1_000_000 * USDC,
            ),
        ),
        (
            keeper_lst,
            accounts::token_account(TOKEN_PROGRAM, &lst, &k.keeper.pubkey(), 100 * LST),
        ),
        (
            keeper2_lst,
            accounts::token_account(TOKEN_PROGRAM, &lst, &k.keeper2.pubkey(), 100 * LST),
        ),
        (
            treasury_usdc,
            accounts::token_account(TOKEN_2022_PROGRAM, &usdc, &k.treasury.pubkey(), 0),
        ),
    ];
    for (key, p) in &prices {
        genesis.push((
            *key,
            accounts::price_update(
                &PythPrice {
                    publish_time: now,
                    ..*p
                },
                0,
            ),
        ));
    }
    let started = std::time::Instant::now();
    let v = Validator::start(program, &program_so(), genesis).unwrap();
    eprintln!(
        "validator up at {} in {:.1} s",
        v.url,
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().unwrap();
    let operator_file = write_keypair(dir.path(), "operator", &k.operator).unwrap();
    let keeper_file = write_keypair(dir.path(), "keeper", &k.keeper).unwrap();
    let keeper2_file = write_keypair(dir.path(), "keeper2", &k.keeper2).unwrap();
    let url = v.url.clone();

    // ---- init from a config file -------------------------------------------------------
    let config = dir.path().join("fund.toml");
    std::fs::write(&config, config_toml(&k)).unwrap();
    let out = ifund::run(
        &url,
        &operator_file,
        &["init", "--config", config.to_str().unwrap()],
    )
    .unwrap()
    .ok()
    .unwrap();
    let fund_key = ifund::created_fund(&out).unwrap();
    let f = fund_view(&v, &fund_key);
    assert_eq!(f.governance, k.operator.pubkey());
    assert_eq!(f.timelock_secs, TIMELOCK_SECS as u32);
    assert_eq!(f.min_liquid_bps, 3000);
    assert_eq!(f.asset_count, 2);
    assert_eq!(
        (
            f.assets[0].mint,
            f.assets[0].token_program,
            f.assets[0].target_bps
        ),
        (usdc, 1, 5000)
    );
    assert_eq!(
        (
            f.assets[1].mint,
            f.assets[1].token_program,
            f.assets[1].max_weight_bps
        ),
        (lst, 0, 7000)
    );
    assert_eq!(f.approval_threshold, 5000 * USDC);
    let (usdc_vault, lst_vault) = (f.assets[0].vault, f.assets[1].vault);
    assert_eq!(
        v.rpc.get_account(&usdc_vault).unwrap().owner,
        TOKEN_2022_PROGRAM
    );
    assert_eq!(v.rpc.get_account(&lst_vault).unwrap().owner, TOKEN_PROGRAM);
    let claimant_pda = fund::claimant_address(&program, &fund_key, &k.claimant.pubkey());
    assert!(
        v.data(&claimant_pda).unwrap().is_some(),
        "init registered the claimant"
    );

    let status = ifund::run(
        &url,
        &operator_file,
        &["status", "--fund", &fund_key.to_string()],
    )
    .unwrap()
    .ok()
    .unwrap();
    assert!(status.starts_with(&format!("Fund {fund_key}")), "{status}");
    for mint in [usdc, lst] {
        assert!(
            status.contains(&short(&mint)),
            "status lists {mint}: {status}"
        );
    }
    assert!(status.contains("Queued configuration changes (timelock 3600 s)\n  none"));

    // ---- a deposit (ifund has no deposit command: a raw deposit_fees, built from the IDL) -
    let deposit = 100_000 * USDC;
    let ix = idl
        .instruction(
            "deposit_fees",
            &[
                ("depositor", k.depositor.pubkey()),
                ("fund", fund_key),
                ("mint", usdc),
                ("vault", usdc_vault),
                ("source", depositor_usdc),
                ("token_program", TOKEN_2022_PROGRAM),
            ],
            &deposit.to_le_bytes(),
            vec![],
        )
        .unwrap();
    v.send(&k.depositor, &[], &[ix]).unwrap();
    assert_eq!(v.token_balance(&usdc_vault).unwrap(), deposit);
    assert_eq!(
        v.token_balance(&depositor_usdc).unwrap(),
        1_000_000 * USDC - deposit
    );
    let f = fund_view(&v, &fund_key);
    assert_eq!(f.asset(&usdc).booked_balance, deposit);
    assert_eq!(f.asset(&usdc).total_fees_received, deposit);

    // ---- keeper: refresh, sync, fill from its inventory -----------------------------------
    v.refresh_prices(&prices).unwrap();
    let out = ifund::run(
        &url,
        &keeper_file,
        &["keeper", "--fund", &fund_key.to_string(), "--once"],
    )
    .unwrap()
    .ok()
    .unwrap();
    assert!(
        out.contains("crank transaction 1/1 ok"),
        "the crank ran: {out}"
    );
    assert!(out.contains("filled: "), "the keeper filled: {out}");
    let f = fund_view(&v, &fund_key);
    assert_eq!(f.fills, 1);
    let keeper_usdc = accounts::ata(&k.keeper.pubkey(), &usdc, &TOKEN_2022_PROGRAM);
    let delivered = 100 * LST - v.token_balance(&keeper_lst).unwrap();
    let received = v.token_balance(&keeper_usdc).unwrap();
    assert!(delivered > 0 && received > 0);
    assert_eq!(v.token_balance(&lst_vault).unwrap(), delivered);
    assert_eq!(v.token_balance(&usdc_vault).unwrap(), deposit - received);
    assert_eq!(f.asset(&lst).booked_balance, delivered);
    assert_eq!(f.asset(&usdc).booked_balance, deposit - received);
    // priced at the oracle: the USDC paid is the LST's value at 150 within the confidence
    // (0.1 %) and the auction's premium (at most 3 %)
    let value_in = delivered as u128 * 150 * USDC as u128 / LST as u128;
    assert!(
        (received as u128) <= value_in * 10_300 / 10_000
            && (received as u128) >= value_in * 9_700 / 10_000,
        "a fill near the oracle price: {received} USDC atoms for {delivered} LST atoms"
    );
    assert!(
        f.asset(&lst).price_publish_time > 0,
        "refresh_prices cached the LST price"
    );

    // ---- a fill whose transaction lands after the client gave up confirming it -----------
    let proxy = Proxy::start(&url).unwrap();
    proxy.arm(Duration::from_secs(3));
    let fills_before = f.fills;
    let out = ifund::run(
        &proxy.url,
        &keeper2_file,
        &[
            "keeper",
            "--fund",
            &fund_key.to_string(),
            "--once",
            "--no-crank",
        ],
    )
    .unwrap()
    .ok()
    .unwrap();
    let sent = proxy.sent();
    let mut distinct = sent.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        1,
        "the keeper signed one fill transaction, however often it sent it: {sent:?}\n{out}"
    );
    let f = fund_view(&v, &fund_key);
    assert_eq!(f.fills, fills_before + 1, "exactly one more fill: {out}");
    assert!(
        out.contains("filled: "),
        "the keeper reports the fill that landed late: {out}"
    );
    let delivered2 = 100 * LST - v.token_balance(&keeper2_lst).unwrap();
    assert!(delivered2 > 0);
    assert_eq!(v.token_balance(&lst_vault).unwrap(), delivered + delivered2);

    // ---- a shortfall declared by the claimant and paid by draw (raw claimant transactions) -
    let id = f.shortfall_count;
    let shortfall = fund::shortfall_address(&program, &fund_key, id);
    let claim = 2_000 * USDC;
    let mut args = Vec::new();
    args.extend_from_slice(&id.to_le_bytes());
    args.extend_from_slice(&claim.to_le_bytes());
    args.extend_from_slice(&[7u8; 32]); // reference
    let declare = idl
        .instruction(
            "declare_shortfall",
            &[
                ("declarer", k.claimant.pubkey()),
                ("payer", k.claimant.pubkey()),
                ("fund", fund_key),
                ("claimant", claimant_pda),
                ("shortfall", shortfall),
            ],
            &args,
            vec![],
        )
        .unwrap();
    v.send(&k.claimant, &[], &[declare]).unwrap();
    let s = ShortfallView::decode(&v.data(&shortfall).unwrap().unwrap());
    assert_eq!(
        (s.fund, s.claimant, s.id, s.declared, s.paid, s.status),
        (fund_key, claimant_pda, id, claim, 0, 0)
    );
    assert_eq!(fund_view(&v, &fund_key).open_shortfalls, 1);

    // the keeper's crank keeps the prices the draw needs fresh
    v.refresh_prices(&prices).unwrap();
    let out = ifund::run(
        &url,
        &keeper_file,
        &["keeper", "--fund", &fund_key.to_string(), "--once"],
    )
    .unwrap()
    .ok()
    .unwrap();
    assert!(out.contains("crank transaction 1/1 ok"), "{out}");
    let draw = idl
        .instruction(
            "draw",
            &[
                ("authority", k.claimant.pubkey()),
                ("fund", fund_key),
                ("claimant", claimant_pda),
                ("shortfall", shortfall),
            ],
            &claim.to_le_bytes(),
            vec![
                AccountMeta::new(usdc_vault, false),
                AccountMeta::new_readonly(usdc, false),
                AccountMeta::new(treasury_usdc, false),
                AccountMeta::new_readonly(TOKEN_2022_PROGRAM, false),
            ],
        )
        .unwrap();
    let usdc_before = v.token_balance(&usdc_vault).unwrap();
    v.send(&k.claimant, &[], &[draw]).unwrap();
    assert_eq!(
        v.token_balance(&treasury_usdc).unwrap(),
        claim,
        "USDC at its peg: 2,000 paid"
    );
    assert_eq!(v.token_balance(&usdc_vault).unwrap(), usdc_before - claim);
    let s = ShortfallView::decode(&v.data(&shortfall).unwrap().unwrap());
    assert_eq!((s.paid, s.status), (claim, 1), "paid in full");
    let f = fund_view(&v, &fund_key);
    assert_eq!((f.total_drawn, f.open_shortfalls), (claim, 0));
    let status = ifund::run(
        &url,
        &operator_file,
        &["status", "--fund", &fund_key.to_string()],
    )
    .unwrap()
    .ok()
    .unwrap();
    assert!(
        status.contains("draws paid:    2,000.00 USD in total, 1 shortfalls declared")
            && status.contains("keeper fills:  2 ")
            && status.contains("open shortfalls: none"),
        "status shows the fills and the paid shortfall: {status}"
    );

    // ---- failures a user meets ----------------------------------------------------------
    let out = ifund::run(
        "http://127.0.0.1:9",
        &operator_file,
        &["status", "--fund", &fund_key.to_string()],
    )
    .unwrap();
    assert!(!out.success);
    assert!(
        out.stderr
            .contains("cannot reach the cluster at http://127.0.0.1:9"),
        "{}",
        out.stderr
    );
    let nobody = Pubkey::new_unique();
    let out = ifund::run(
        &url,
        &operator_file,
        &["status", "--fund", &nobody.to_string()],
    )
    .unwrap();
    assert!(!out.success);
    assert!(
        out.stderr.contains(&format!("no account at {nobody}")),
        "{}",
        out.stderr
    );
    let out = ifund::run(
        &url,
        &operator_file,
        &["keeper", "--once", "--fund", &usdc.to_string()],
    )
    .unwrap();
    assert!(!out.success);
    assert!(
        out.stderr.contains(&format!(
            "{usdc} is owned by {TOKEN_2022_PROGRAM}, not the insurance fund program {program}"
        )),
        "{}",
        out.stderr
    );
    let broke = Keypair::new();
    let broke_file = write_keypair(dir.path(), "broke", &broke).unwrap();
    let before = fund_view(&v, &fund_key);
    let out = ifund::run(
        &url,
        &broke_file,
        &["keeper", "--once", "--fund", &fund_key.to_string()],
    )
    .unwrap();
    assert!(!out.success, "an unfunded keeper's round fails: {out:?}");
    assert!(
        out.stderr.contains("no SOL") || out.stderr.contains("insufficient"),
        "{}",
        out.stderr
    );
    let after = fund_view(&v, &fund_key);
    assert_eq!(
        (after.fills, after.assets[1].price_publish_time),
        (before.fills, before.assets[1].price_publish_time)
    );

    // ---- a loosening change: propose, queue (governance is a keypair here), timelock, execute
    let change = dir.path().join("change.toml");
    std::fs::write(
        &change,
        format!("[assets.\"{lst}\"]\nmax_weight_bps = 8000\n"),
    )
    .unwrap();
    let out = ifund::run(
        &url,
        &operator_file,
        &[
            "propose",
            "--fund",
            &fund_key.to_string(),
            "--change",
            change.to_str().unwrap(),
        ],
    )
    .unwrap()
    .ok()
    .unwrap();
    assert!(out.contains("LOOSENS: queued"), "{out}");
    let proposal = ifund::parse_proposal(&out).unwrap();
    assert_eq!(
        (proposal.governance_ixs.len(), proposal.after_timelock.len()),
        (1, 1),
        "{out}"
    );
    v.send(&k.operator, &[], &proposal.governance_ixs).unwrap();
    let (pending, mut execute) = proposal.after_timelock.into_iter().next().unwrap();
    assert!(
        v.data(&pending).unwrap().is_some(),
        "queue_change created the record"
    );
    let status = ifund::run(
        &url,
        &operator_file,
        &["status", "--fund", &fund_key.to_string()],
    )
    .unwrap()
    .ok()
    .unwrap();
    assert!(
        status.contains(&pending.to_string()),
        "status lists the queued change: {status}"
    );
    let executor = &k.keeper;
    for m in execute.accounts.iter_mut().filter(|m| m.is_signer) {
        m.pubkey = executor.pubkey();
    }
    let early = v.send(executor, &[], std::slice::from_ref(&execute));
    assert!(early.is_err(), "refused before the timelock");
    assert_eq!(fund_view(&v, &fund_key).asset(&lst).max_weight_bps, 7000);
    let eta = v.clock().unwrap().unix_timestamp + TIMELOCK_SECS;
    let warped = v.warp_clock(TIMELOCK_SECS + 5).unwrap();
    assert!(warped.unix_timestamp >= eta);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while v.clock().unwrap().unix_timestamp < eta {
        assert!(
            std::time::Instant::now() < deadline,
            "the warped clock reaches RPC"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    v.send(executor, &[], &[execute]).unwrap();
    assert_eq!(fund_view(&v, &fund_key).asset(&lst).max_weight_bps, 8000);
    assert!(v.data(&pending).unwrap().is_none(), "the record is closed");
    let status = ifund::run(
        &url,
        &operator_file,
        &["status", "--fund", &fund_key.to_string()],
    )
    .unwrap()
    .ok()
    .unwrap();
    assert!(!status.contains(&pending.to_string()), "{status}");
}
