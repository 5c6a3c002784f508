//! Sysvar spoofing: one instruction takes a sysvar account, `rebalance_begin`'s
//! `instructions`, pinned to the instructions sysvar's address (a spoofed one is refused,
//! `flash_fill::begin_guards`); every other sysvar is read by syscall (`Clock::get()`,
//! `Rent::get()`). The first test checks that on the committed IDL. The second shows the consequence: an account shaped like
//! the Clock sysvar, passed along, is refused outright (`ExtraRemainingAccounts`), and a
//! pause holds and expires, and a timelock waits, by the bank's clock.

use anchor_lang::prelude::*;
use insurance_fund::error::FundError;
use insurance_fund::state::pause_flags;
use insurance_fund::state::BoundsArgs;
use insurance_fund::timelock::ConfigChange;
use insurance_fund_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Every sysvar's account name as programs usually call it.
const SYSVAR_NAMES: [&str; 11] = [
    "clock",
    "rent",
    "epoch_schedule",
    "epoch_rewards",
    "fees",
    "instructions",
    "last_restart_slot",
    "recent_blockhashes",
    "slot_hashes",
    "slot_history",
    "stake_history",
];

/// `instruction.account` for every account of an Anchor IDL that is a sysvar: a fixed address
/// of the sysvar family (`Sysvar…`), or a sysvar's name.
fn sysvar_accounts(idl: &serde_json::Value) -> Vec<String> {
    let mut found = vec![];
    for ix in idl["instructions"].as_array().expect("instructions") {
        for account in ix["accounts"].as_array().expect("accounts") {
            let name = account["name"].as_str().expect("name");
            let address = account["address"].as_str().unwrap_or("");
            if address.starts_with("Sysvar")
                || SYSVAR_NAMES.contains(&name)
                || name.contains("sysvar")
            {
                found.push(format!("{}.{}", ix["name"].as_str().unwrap(), name));
            }
        }
    }
    found
}

#[test]
fn only_rebalance_begin_takes_a_sysvar_account_and_pins_its_address() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../idl/insurance_fund.json");
    let idl: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the committed IDL"))
            .expect("JSON");
    assert_eq!(idl["instructions"].as_array().unwrap().len(), 32);
    assert_eq!(sysvar_accounts(&idl), ["rebalance_begin.instructions"]);
    // the only fixed addresses are the system program's and the instructions sysvar's
    let mut fixed: Vec<&str> = idl["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ix| ix["accounts"].as_array().unwrap())
        .filter_map(|a| a["address"].as_str())
        .collect();
    fixed.sort();
    fixed.dedup();
    assert_eq!(
        fixed,
        [
            anchor_lang::system_program::ID.to_string(),
            insurance_fund::instructions_sysvar::ID.to_string(),
        ]
    );
    // the scan sees a sysvar where there is one, by address or by name
    let spoofable = serde_json::json!({ "instructions": [{
        "name": "some_instruction",
        "accounts": [
            { "name": "fund" },
            { "name": "now", "address": "SysvarC1ock11111111111111111111111111111111" },
            { "name": "rent" },
            { "name": "instructions_sysvar" },
        ],
    }]});
    assert_eq!(
        sysvar_accounts(&spoofable),
        [
            "some_instruction.now",
            "some_instruction.rent",
            "some_instruction.instructions_sysvar"
        ]
    );
}

/// An account holding `clock`'s bytes (bincode: slot, epoch start, epoch, leader schedule
/// epoch, unix time, each 8 bytes little-endian) at a fresh address, owned by `owner`.
fn fake_clock(ctx: &mut TestContext, clock: &Clock, owner: Pubkey) -> Pubkey {
    let mut data = vec![];
    data.extend(clock.slot.to_le_bytes());
    data.extend(clock.epoch_start_timestamp.to_le_bytes());
    data.extend(clock.epoch.to_le_bytes());
    data.extend(clock.leader_schedule_epoch.to_le_bytes());
    data.extend(clock.unix_timestamp.to_le_bytes());
    let key = Pubkey::new_unique();
    let account = solana_account::Account {
        lamports: 1_000_000_000,
        data,
        owner,
        executable: false,
        rent_epoch: 0,
    };
    ctx.ctx.set_account(&key, &account.into());
    key
}

/// Fake clocks telling `unix_timestamp`: one owned by an arbitrary program, one claiming the
/// sysvar owner (only the runtime can write there, but an account can be created with
/// whatever owner a test likes).
async fn fake_clocks(ctx: &mut TestContext, unix_timestamp: i64) -> [Pubkey; 2] {
    let mut clock = ctx.ctx.banks_client.get_sysvar::<Clock>().await.unwrap();
    clock.unix_timestamp = unix_timestamp;
    clock.slot += 1_000_000;
    let sysvar_owner: Pubkey = "Sysvar1111111111111111111111111111111111111"
        .parse()
        .unwrap();
    [
        fake_clock(ctx, &clock, Pubkey::new_unique()),
        fake_clock(ctx, &clock, sysvar_owner),
    ]
}

fn with_extra(
    mut ix: anchor_lang::solana_program::instruction::Instruction,
    key: Pubkey,
) -> anchor_lang::solana_program::instruction::Instruction {
    ix.accounts
        .push(anchor_lang::solana_program::instruction::AccountMeta::new_readonly(key, false));
    ix
}

#[tokio::test]
async fn a_fake_clock_account_is_refused_and_pauses_and_timelocks_follow_the_banks_clock() {
    let mut f = TestBuilder::new().build().await;
    let gov = f.gov();
    let (who, source) = f.depositor(0, 100).await;
    let guardian = f.h.guardian.insecure_clone();
    f.ctx
        .send_ok(
            &[f.pause_ix(&guardian.pubkey(), pause_flags::DEPOSITS)],
            &[&guardian],
        )
        .await;
    let paused_at = f.ctx.now().await;
    let max_pause = i64::from(f.state().await.max_pause_secs);

    // a fake clock saying the pause is over is not even read: no instruction but
    // refresh_prices and draw takes an extra account
    for fake in fake_clocks(&mut f.ctx, paused_at + max_pause + 1).await {
        let ix = with_extra(f.deposit_ix(&who.pubkey(), 0, &source, 10), fake);
        let out = f.ctx.send(&[ix], &[&who]).await;
        assert_fund_error(&out, FundError::ExtraRemainingAccounts);
        assert_eq!(f.ctx.token_balance(&source).await, 100);
    }
    // the pause holds by the bank's clock until it expires
    let out = f
        .ctx
        .send(&[f.deposit_ix(&who.pubkey(), 0, &source, 10)], &[&who])
        .await;
    assert_fund_error(&out, FundError::DepositsPaused);
    f.ctx.advance_clock(max_pause).await;
    f.ctx
        .send_ok(&[f.deposit_ix(&who.pubkey(), 0, &source, 10)], &[&who])
        .await;
    assert_eq!(f.ctx.token_balance(&source).await, 90);

    // a queued change waits its timelock by the bank's clock
    let day: u32 = 86_400;
    let bounds = BoundsArgs {
        min_liquid_bps: 5_000,
        max_price_age_secs: insurance_fund::constants::DEFAULT_MAX_PRICE_AGE_SECS,
        max_pause_secs: insurance_fund::constants::DEFAULT_MAX_PAUSE_SECS,
        timelock_secs: day,
    };
    f.send_gov(&[f.set_bounds_args_ix(&gov, bounds)])
        .await
        .unwrap();
    let new_guardian = Pubkey::new_unique();
    let change = ConfigChange::SetGuardian {
        guardian: Some(new_guardian),
    };
    let pending = f.pending_change_address(&change);
    let payer = f.payer;
    f.send_gov(&[f.queue_change_ix(&gov, &payer, change)])
        .await
        .unwrap();
    let queued_at = f.ctx.now().await;
    let keeper = Keypair::new();
    let exec = |f: &FundFixture| {
        with_pending_change(
            f.set_guardian_ix(&keeper.pubkey(), Some(new_guardian)),
            pending,
            payer,
        )
    };
    let before = f.state().await;
    for fake in fake_clocks(&mut f.ctx, queued_at + i64::from(day) + 1).await {
        let out = f.ctx.send(&[with_extra(exec(&f), fake)], &[&keeper]).await;
        assert_fund_error(&out, FundError::ExtraRemainingAccounts);
        assert_eq!(f.state().await, before);
        assert!(f.ctx.account(&pending).await.is_some());
    }
    let out = f.ctx.send(&[exec(&f)], &[&keeper]).await;
    assert_fund_error(&out, FundError::TimelockNotElapsed);
    f.ctx.advance_clock(i64::from(day)).await;
    f.ctx.send_ok(&[exec(&f)], &[&keeper]).await;
    assert_eq!(f.state().await.guardian, new_guardian);
}
