//! The `ifund` binary as a user runs it: a subprocess with `--url` and `--keypair`, its
//! output captured; and the parts of its output the test acts on (the fund `init` created,
//! the instructions `propose` prints).

use anyhow::{bail, Context};
use solana_instruction::{AccountMeta, Instruction};
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The `ifund` binary: `IFUND_BIN`, else `<main target dir>/debug/ifund` (built by
/// `cargo build -p ifund`).
pub fn binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("IFUND_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::main_target_dir().join("debug/ifund"));
    if !path.exists() {
        bail!(
            "{} is missing: run `cargo build -p ifund` in the repository first (or set IFUND_BIN)",
            path.display()
        );
    }
    Ok(path)
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Output {
    /// stdout, or a failure showing both streams.
    pub fn ok(self) -> anyhow::Result<String> {
        if !self.success {
            bail!(
                "ifund failed\n--- stdout\n{}\n--- stderr\n{}",
                self.stdout,
                self.stderr
            );
        }
        Ok(self.stdout)
    }
}

/// Runs `ifund --url <url> --keypair <keypair> <args...>` with no Solana CLI config (HOME is
/// a fresh directory) and returns its output.
pub fn run(url: &str, keypair: &Path, args: &[&str]) -> anyhow::Result<Output> {
    let home = tempfile::tempdir()?;
    let started = Instant::now();
    let out = Command::new(binary()?)
        .arg("--url")
        .arg(url)
        .arg("--keypair")
        .arg(keypair)
        .args(args)
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .output()
        .context("running ifund")?;
    let output = Output {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    };
    eprintln!(
        "$ ifund {} ({:.1} s, {})\n{}{}",
        args.join(" "),
        output.took.as_secs_f64(),
        if output.success { "ok" } else { "failed" },
        output.stdout,
        output.stderr
    );
    Ok(output)
}

/// Writes `kp` as a Solana keypair file (a JSON array of its 64 bytes).
pub fn write_keypair(dir: &Path, name: &str, kp: &Keypair) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string(&kp.to_bytes().to_vec())?)?;
    Ok(path)
}

/// The fund `ifund init` reports: `fund <ADDRESS> created (create key ...)`.
pub fn created_fund(stdout: &str) -> anyhow::Result<Pubkey> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fund ") && l.contains(" created"))
        .context("init printed no `fund ... created` line")?;
    let key = line.split_whitespace().nth(1).context("fund address")?;
    Ok(Pubkey::from_str(key)?)
}

/// An instruction as `propose` prints it: `program <ID>`, one `#<i> <KEY> [signer][, writable]`
/// line per account, `data (base58) <DATA>`.
fn parse_instruction(
    lines: &mut std::iter::Peekable<std::str::Lines>,
) -> anyhow::Result<Instruction> {
    let program = lines
        .next()
        .and_then(|l| l.trim().strip_prefix("program "))
        .context("expected `program <ID>`")?;
    let program_id = Pubkey::from_str(program.trim())?;
    let mut accounts = Vec::new();
    while let Some(l) = lines.peek() {
        let t = l.trim();
        if let Some(rest) = t.strip_prefix('#') {
            let mut parts = rest.split_whitespace();
            let _index = parts.next();
            let key = Pubkey::from_str(parts.next().context("account key")?)?;
            let role: String = parts.collect::<Vec<_>>().join(" ");
            let signer = role.contains("signer");
            let writable = role.contains("writable");
            accounts.push(if writable {
                AccountMeta::new(key, signer)
            } else {
                AccountMeta::new_readonly(key, signer)
            });
            lines.next();
        } else {
            break;
        }
    }
    let data = lines
        .next()
        .and_then(|l| l.trim().strip_prefix("data (base58) "))
        .context("expected `data (base58) <DATA>`")?;
    Ok(Instruction {
        program_id,
        accounts,
        data: bs58::decode(data.trim()).into_vec()?,
    })
}

/// What `ifund propose` printed: the instructions governance executes, and for each queued
/// change its record's address and the instruction anyone sends after the timelock.
#[derive(Debug)]
pub struct Proposal {
    pub governance_ixs: Vec<Instruction>,
    pub after_timelock: Vec<(Pubkey, Instruction)>,
}

pub fn parse_proposal(stdout: &str) -> anyhow::Result<Proposal> {
    let mut governance_ixs = Vec::new();
    let mut after_timelock = Vec::new();
    let mut section = "";
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("== ") {
            section = if line.starts_with("== Instructions governance executes") {
                "governance"
            } else if line.starts_with("== After the timelock") {
                "after"
            } else {
                ""
            };
            continue;
        }
        match section {
            "governance" if line.trim_start().starts_with(|c: char| c.is_ascii_digit()) => {
                governance_ixs.push(parse_instruction(&mut lines)?);
            }
            "after" if line.starts_with("- ") => {
                let pending = line
                    .split("(queued change ")
                    .nth(1)
                    .and_then(|r| r.split(';').next())
                    .context("expected `(queued change <ADDRESS>; ...`")?;
                after_timelock.push((
                    Pubkey::from_str(pending.trim())?,
                    parse_instruction(&mut lines)?,
                ));
            }
            _ => {}
        }
    }
    Ok(Proposal {
        governance_ixs,
        after_timelock,
    })
}
