//! Measurement: sends an instruction and reads its compute units (own and CPI, from the
//! logs), accounts, signers and wire sizes.

use super::*;

/// What the logs say about one fund instruction (the transaction's only instruction).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Units {
    /// The fund's `consumed` figure: its own work plus everything its CPIs consumed.
    pub(super) total: u64,
    /// `consumed` by the token programs it called.
    pub(super) token_cpi: u64,
    /// Every CPI (token programs and builtins such as the system program).
    pub(super) cpis: usize,
    pub(super) token_cpis: usize,
    /// The fund's own `Program log:` lines and `Program data:` lines (events) and their bytes.
    pub(super) log_lines: usize,
    pub(super) data_lines: usize,
    pub(super) data_bytes: usize,
    /// The transaction's total units.
    pub(super) tx_total: u64,
}

impl Units {
    pub(super) fn own(&self) -> u64 {
        self.total - self.token_cpi
    }
}

fn is_token_program(id: &str) -> bool {
    id == anchor_spl::token::ID.to_string() || id == anchor_spl::token_2022::ID.to_string()
}

/// Parses `Program <id> invoke [d]`, `Program <id> consumed N of M compute units`,
/// `Program <id> success|failed` into units per depth.
fn parse_units(logs: &[String], tx_total: u64) -> Units {
    let fund = insurance_fund::ID.to_string();
    let mut u = Units {
        tx_total,
        ..Units::default()
    };
    let mut stack: Vec<String> = vec![];
    for line in logs {
        if let Some(data) = line.strip_prefix("Program data: ") {
            if stack.len() == 1 && stack[0] == fund {
                u.data_lines += 1;
                u.data_bytes += data
                    .split_whitespace()
                    .map(|b| {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD
                            .decode(b)
                            .map(|v| v.len())
                            .unwrap_or(0)
                    })
                    .sum::<usize>();
            }
            continue;
        }
        if line.starts_with("Program log: ") {
            if stack.len() == 1 && stack[0] == fund {
                u.log_lines += 1;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("Program ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(id), Some(verb)) = (words.next(), words.next()) else {
            continue;
        };
        match verb {
            "invoke" => {
                stack.push(id.to_string());
                if stack.len() == 2 && stack[0] == fund {
                    u.cpis += 1;
                    if is_token_program(id) {
                        u.token_cpis += 1;
                    }
                }
            }
            "consumed" => {
                let n: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                if stack.len() == 1 && id == fund {
                    // a flash fill has two top-level fund instructions: both count
                    u.total += n;
                } else if stack.len() == 2 && stack[0] == fund && is_token_program(id) {
                    u.token_cpi += n;
                }
            }
            "success" | "failed:" | "failed" => {
                stack.pop();
            }
            _ => {}
        }
    }
    u
}

/// Accounts, signers and wire sizes of a one-payer transaction of `ixs`.
pub(super) struct Sizes {
    pub(super) accounts: usize,
    pub(super) signers: usize,
    pub(super) legacy: usize,
    pub(super) with_table: usize,
    /// Every account that is neither a signer nor an invoked program.
    pub(super) table: Vec<Pubkey>,
}

pub(super) fn sizes(ctx: &TestContext, ixs: &[Instruction]) -> Sizes {
    let payer = ctx.payer_key();
    let tx = Transaction::new_with_payer(ixs, Some(&payer));
    let accounts = tx.message.account_keys.len();
    let signers = tx.message.header.num_required_signatures as usize;
    let legacy = wire_size(&VersionedTransaction::from(tx));
    let signer_keys: HashSet<Pubkey> = ixs
        .iter()
        .flat_map(|ix| ix.accounts.iter())
        .filter(|m| m.is_signer)
        .map(|m| m.pubkey)
        .chain([payer])
        .collect();
    let invoked: HashSet<Pubkey> = ixs.iter().map(|ix| ix.program_id).collect();
    let mut table: Vec<Pubkey> = vec![];
    for m in ixs.iter().flat_map(|ix| ix.accounts.iter()) {
        if !signer_keys.contains(&m.pubkey)
            && !invoked.contains(&m.pubkey)
            && !table.contains(&m.pubkey)
        {
            table.push(m.pubkey);
        }
    }
    let message = v0_message(ctx, ixs, Pubkey::new_unique(), &table);
    let unsigned = VersionedTransaction {
        signatures: vec![Default::default(); signers],
        message: VersionedMessage::V0(message),
    };
    Sizes {
        accounts,
        signers,
        legacy,
        with_table: wire_size(&unsigned),
        table,
    }
}

pub(super) fn v0_message(
    ctx: &TestContext,
    ixs: &[Instruction],
    key: Pubkey,
    table: &[Pubkey],
) -> v0::Message {
    let lookup = AddressLookupTableAccount {
        key,
        addresses: table.to_vec(),
    };
    v0::Message::try_compile(&ctx.payer_key(), ixs, &[lookup], ctx.ctx.last_blockhash)
        .expect("v0 message compiles")
}

/// Sends `ixs` (sized by `sizes`): as a legacy transaction when it fits a packet, otherwise
/// as v0 through a lookup table holding every non-signer account.
pub(super) async fn send_sized(
    ctx: &mut TestContext,
    ixs: &[Instruction],
    signers: &[&Keypair],
    s: &Sizes,
) -> Outcome {
    if s.legacy <= PACKET {
        return ctx.send(ixs, signers).await;
    }
    let key = ctx.set_lookup_table(&s.table);
    let message = v0_message(ctx, ixs, key, &s.table);
    let payer = ctx.payer().insecure_clone();
    let all = with_payer(&payer, signers);
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &all)
        .expect("v0 transaction signs");
    ctx.process(tx).await
}

/// One measured instruction.
#[derive(Clone, Debug)]
pub(super) struct Row {
    pub(super) ix: &'static str,
    pub(super) variant: String,
    pub(super) assets: usize,
    pub(super) units: Units,
    pub(super) accounts: usize,
    pub(super) signers: usize,
    pub(super) legacy: usize,
    pub(super) with_table: usize,
    /// Assets refreshed or paid (for per-asset figures).
    pub(super) per: Option<usize>,
}

#[derive(Default)]
pub(super) struct Bench {
    pub(super) rows: Vec<Row>,
    /// (account, bytes, rent-exempt lamports)
    pub(super) account_sizes: Vec<(String, usize, u64)>,
    /// Transactions made to fail at a known line: (assets, label, fund's units consumed).
    probes: Vec<(usize, &'static str, u64)>,
}

impl Bench {
    /// Sends `ixs` (legacy when it fits a packet, otherwise v0 through a lookup table holding
    /// every non-signer account), requires success and records the figures.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn measure(
        &mut self,
        ctx: &mut TestContext,
        assets: usize,
        ix: &'static str,
        variant: impl Into<String>,
        ixs: &[Instruction],
        signers: &[&Keypair],
        per: Option<usize>,
    ) -> Outcome {
        let s = sizes(ctx, ixs);
        let out = send_sized(ctx, ixs, signers, &s).await.unwrap();
        self.record(assets, ix, variant, &s, &out, per);
        out
    }

    pub(super) fn record(
        &mut self,
        assets: usize,
        ix: &'static str,
        variant: impl Into<String>,
        s: &Sizes,
        out: &Outcome,
        per: Option<usize>,
    ) {
        let units = parse_units(&out.logs, out.compute_units);
        assert!(
            units.total > 0,
            "no units for {ix}:\n{}",
            out.logs.join("\n")
        );
        self.rows.push(Row {
            ix,
            variant: variant.into(),
            assets,
            units,
            accounts: s.accounts,
            signers: s.signers,
            legacy: s.legacy,
            with_table: s.with_table,
            per,
        });
    }

    /// Sends `ixs`, which must fail, and records the units the fund consumed up to the failure
    /// (accounts deserialized, handler up to the failing check, Anchor's error log).
    pub(super) async fn probe(
        &mut self,
        ctx: &mut TestContext,
        assets: usize,
        label: &'static str,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) {
        let out = ctx.send(ixs, signers).await;
        assert!(out.result.is_err(), "probe {label} succeeded");
        let units = parse_units(&out.logs, out.compute_units);
        assert!(
            units.total > 0,
            "no units for probe {label}:\n{}",
            out.logs.join("\n")
        );
        self.probes.push((assets, label, units.total));
    }

    pub(super) fn probe_units(&self, label: &str, assets: usize) -> Option<i64> {
        self.probes
            .iter()
            .find(|(n, l, _)| *n == assets && *l == label)
            .map(|(_, _, u)| *u as i64)
    }

    pub(super) fn find(&self, ix: &str, variant_prefix: &str, assets: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.ix == ix && r.assets == assets && r.variant.starts_with(variant_prefix))
    }
}
