//! The binary's failures are one clear line and a non-zero exit, never a panic trace.

use std::process::Command;

fn ifund(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ifund"))
        .args(args)
        .env("HOME", "/nonexistent-home")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean_error(stderr: &str, expected: &str) {
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_missing_keypair_is_named_with_how_to_create_one() {
    let (code, _, err) = ifund(&[
        "keeper",
        "--fund",
        "11111111111111111111111111111111",
        "-u",
        "l",
        "--keypair",
        "/nonexistent/id.json",
    ]);
    assert_eq!(code, 1);
    assert_clean_error(
        &err,
        "keypair file /nonexistent/id.json does not exist (create one with `solana-keygen new",
    );
}

#[test]
fn an_unreachable_url_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let kp = dir.path().join("id.json");
    solana_keypair::write_keypair_file(&solana_keypair::Keypair::new(), &kp).unwrap();
    let (code, _, err) = ifund(&[
        "status",
        "--fund",
        "11111111111111111111111111111111",
        "--url",
        "http://127.0.0.1:9",
        "--keypair",
        kp.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_clean_error(&err, "cannot reach the cluster at http://127.0.0.1:9");
}

#[test]
fn a_bad_scenario_file_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    let text = ifund::scenario::DEFAULT_SCENARIO.replacen("band_bps = 250", "band_bps = 5000", 1);
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = ifund(&["simulate", "--scenario", path.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 1);
    assert_clean_error(&err, "`fund.band_bps` = 5000: must be between 1 and 2000");
}

#[test]
fn keeper_rounds_out_of_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    for (rounds, at) in [("0", "0"), ("361", "361")] {
        let text = ifund::scenario::DEFAULT_SCENARIO.replacen(
            "keeper_rounds = 360",
            &format!("keeper_rounds = {rounds}"),
            1,
        );
        std::fs::write(&path, text).unwrap();
        let (code, _, err) = ifund(&["simulate", "--scenario", path.to_str().unwrap(), "--quiet"]);
        assert_eq!(code, 1);
        assert_clean_error(
            &err,
            &format!("`market.keeper_rounds` = {at}: must be between 1 and 360, at least 10 seconds apart within a step"),
        );
    }
}

#[test]
fn status_without_a_simulation_says_what_to_do() {
    let (code, _, err) = ifund(&["status", "--from", "/nonexistent-dir"]);
    assert_eq!(code, 1);
    assert_clean_error(&err, "run `ifund simulate` first, or pass --url and --fund");
}

#[test]
fn help_lists_the_commands() {
    let (code, out, _) = ifund(&["--help"]);
    assert_eq!(code, 0);
    for c in [
        "simulate",
        "status",
        "keeper",
        "init",
        "--url",
        "--keypair",
        "--commitment",
    ] {
        assert!(out.contains(c), "{c} missing from\n{out}");
    }
}

#[test]
fn propose_submit_names_what_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let change = dir.path().join("change.toml");
    std::fs::write(&change, "[bounds]\nmin_liquid_bps = 6000\n").unwrap();
    let change = change.to_str().unwrap();
    let fund = "11111111111111111111111111111111";
    let (code, _, err) = ifund(&["propose", "--fund", fund, "--change", change, "--submit"]);
    assert_eq!(code, 1);
    assert_clean_error(&err, "--submit needs --url");
    let (code, _, err) = ifund(&[
        "propose", "--fund", fund, "--change", change, "--submit", "-u", "l",
    ]);
    assert_eq!(code, 1);
    assert_clean_error(
        &err,
        "--submit needs --squads <MULTISIG> or --spl-governance <GOVERNANCE>",
    );
    let (code, _, err) = ifund(&[
        "propose", "--fund", fund, "--change", change, "--squads", fund,
    ]);
    assert_eq!(code, 1);
    assert_clean_error(&err, "add --submit");
    // a change file or --accept-governance, not both, not neither
    let (code, _, err) = ifund(&["propose", "--fund", fund]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--change"), "{err}");
}

#[test]
fn scenarios_are_printed_and_chosen_by_name() {
    let (code, out, _) = ifund(&["simulate", "--print-scenario", "crash"]);
    assert_eq!(code, 0);
    assert_eq!(out, ifund::scenario::built_in("crash").unwrap());
    let (code, out, _) = ifund(&["simulate", "--print-scenario"]);
    assert_eq!(code, 0);
    assert_eq!(out, ifund::scenario::DEFAULT_SCENARIO);
    let (code, _, err) = ifund(&["simulate", "--print-scenario", "crsh"]);
    assert_ne!(code, 0);
    assert_clean_error(
        &err,
        "--print-scenario crsh: no built-in scenario has this name",
    );
    let (code, _, err) = ifund(&["simulate", "--scenario", "crsh", "--quiet"]);
    assert_ne!(code, 0);
    assert_clean_error(
        &err,
        "--scenario crsh: neither a built-in scenario (default, crash, depeg, oracle-outage, lst-discount, replays) nor a file",
    );
    let (code, _, err) = ifund(&["simulate", "--paths", "0", "--quiet"]);
    assert_ne!(code, 0);
    assert_clean_error(&err, "--paths 0: must be between 1 and 100000");
}

#[test]
fn the_keeper_routes_through_pools_or_jupiter_not_both() {
    let (code, _, err) = ifund(&[
        "keeper",
        "--fund",
        "11111111111111111111111111111111",
        "--swap-pool",
        "11111111111111111111111111111111",
        "--jupiter-url",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--jupiter-url") && err.contains("cannot be used with"),
        "{err}"
    );
    let (code, out, _) = ifund(&["keeper", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--jupiter-url <URL>") && out.contains("--jupiter-slippage-bps <BPS>"),
        "{out}"
    );
}
