//! Jupiter's Swap API v6 as a [`QuoteSource`]: `GET {base}/quote` prices one size of one
//! pair (the planner probes a few sizes), `POST {base}/swap-instructions` turns the chosen
//! quote into instructions the keeper signs (`setupInstructions`, `swapInstruction`,
//! `cleanupInstruction`, `addressLookupTableAddresses`).
//!
//! The request and response fields are those of Jupiter's published OpenAPI description
//! (`jup-ag/jupiter-quote-api-node`, `swagger.yaml`, "Jupiter API v6"). The real API was not
//! reachable from the machines this was written on: it is tested against a mock server
//! answering in that format (`app/tests/flash_jupiter.rs`), whose swap instruction is a real
//! SPL Token Swap instruction run on the embedded runtime.
//!
//! The keeper does not trust the answers blindly: a quote must be for the pair and the
//! amount asked (ExactIn), its `otherAmountThreshold` is what the plan counts on, and the
//! swap instructions may require no signer but the keeper.

use super::{QuoteSource, RouteDetail, RouteQuote, SwapRoute};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anyhow::Context;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::time::Duration;

/// The parts of a `QuoteResponse` the keeper reads (the whole response is kept and sent back).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QuoteFields {
    input_mint: String,
    in_amount: String,
    output_mint: String,
    out_amount: String,
    other_amount_threshold: String,
    swap_mode: String,
}

/// `SwapRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SwapRequest<'a> {
    user_public_key: String,
    wrap_and_unwrap_sol: bool,
    destination_token_account: String,
    quote_response: &'a serde_json::Value,
}

/// `Instruction`: `programId`, `accounts` (`pubkey`, `isSigner`, `isWritable`), `data` in
/// base64.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiInstruction {
    program_id: String,
    accounts: Vec<ApiAccountMeta>,
    data: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiAccountMeta {
    pubkey: String,
    is_signer: bool,
    is_writable: bool,
}

/// `SwapInstructionsResponse`. `computeBudgetInstructions` and `tokenLedgerInstruction` are
/// not used: [`crate::chain::send_v0`] sets the compute budget (a second one would fail the
/// transaction), and no token ledger is asked for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SwapInstructionsResponse {
    #[serde(default)]
    setup_instructions: Vec<ApiInstruction>,
    swap_instruction: ApiInstruction,
    #[serde(default)]
    cleanup_instruction: Option<ApiInstruction>,
    #[serde(default)]
    address_lookup_table_addresses: Vec<String>,
}

/// Quotes per pair the planner may ask for (requests are rate limited: 50 per 10 s on the
/// public API).
pub const PROBES_PER_PAIR: usize = 8;

/// `maxAccounts` of each quote: the route's share of a transaction's accounts, leaving room
/// for the keeper's own instructions around it (`rebalance_begin`, the delivery,
/// `rebalance_end`: the fund, both assets' mints, vaults and price accounts, the keeper's two
/// token accounts, the token program and the instructions sysvar). Jupiter calls the number
/// a rough estimate; [`crate::chain::send_v0`] refuses a transaction that still does not fit.
pub const MAX_ROUTE_ACCOUNTS: u8 = 40;

/// `errorCode`s with which the API answers that it found no route for a trade (not a
/// failure of the API): the pair is skipped as unrouted, not as a failed source.
const NO_ROUTE_CODES: [&str; 2] = ["COULD_NOT_FIND_ANY_ROUTE", "TOKEN_NOT_TRADABLE"];

/// Jupiter's Swap API at `base` (e.g. `https://quote-api.jup.ag/v6`).
pub struct Jupiter {
    base: String,
    slippage_bps: u16,
    client: reqwest::blocking::Client,
}

impl Jupiter {
    /// A client of the API at `base`, asking for quotes at `slippage_bps` (the swap fails
    /// unless at least `otherAmountThreshold`, the quote less that slippage, arrives).
    pub fn new(base: &str, slippage_bps: u16) -> anyhow::Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            slippage_bps,
            client,
        })
    }

    /// A `/quote` answer: the body when it succeeded, `None` when the API says it has no
    /// route for the trade (an error whose `errorCode` is one of `NO_ROUTE_CODES`), else the
    /// error `answer` gives.
    fn no_route_or_answer(
        &self,
        r: reqwest::Result<reqwest::blocking::Response>,
    ) -> anyhow::Result<Option<String>> {
        let what = "Jupiter quote";
        let (status, body) = self.read(what, r)?;
        if status.is_success() {
            return Ok(Some(body));
        }
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("errorCode")?.as_str().map(str::to_string));
        if code.is_some_and(|c| NO_ROUTE_CODES.contains(&c.as_str())) {
            return Ok(None);
        }
        Err(self.http_error(what, status, &body))
    }

    /// The body of a successful answer; any other status is an error carrying the body.
    fn answer(
        &self,
        what: &str,
        r: reqwest::Result<reqwest::blocking::Response>,
    ) -> anyhow::Result<String> {
        let (status, body) = self.read(what, r)?;
        if !status.is_success() {
            return Err(self.http_error(what, status, &body));
        }
        Ok(body)
    }

    /// The status and body of an answer, or the request's failure.
    fn read(
        &self,
        what: &str,
        r: reqwest::Result<reqwest::blocking::Response>,
    ) -> anyhow::Result<(reqwest::StatusCode, String)> {
        let r = r.with_context(|| format!("{what} at {}: request failed", self.base))?;
        let status = r.status();
        let body = r
            .text()
            .with_context(|| format!("{what} at {}: reading the answer", self.base))?;
        Ok((status, body))
    }

    /// An answer with an error status: the status and the start of the body.
    fn http_error(&self, what: &str, status: reqwest::StatusCode, body: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "{what} at {}: HTTP {status}: {}",
            self.base,
            body.chars().take(300).collect::<String>()
        )
    }
}

fn amount(field: &str, s: &str) -> anyhow::Result<u64> {
    s.parse()
        .with_context(|| format!("quote field {field} is not an amount: {s:?}"))
}

fn pubkey(field: &str, s: &str) -> anyhow::Result<Pubkey> {
    Pubkey::from_str(s).with_context(|| format!("{field} is not an address: {s:?}"))
}

/// An API instruction as a Solana one, refusing any signer but `keeper`.
fn instruction(ix: ApiInstruction, keeper: &Pubkey) -> anyhow::Result<Instruction> {
    let program_id = pubkey("programId", &ix.program_id)?;
    let accounts = ix
        .accounts
        .into_iter()
        .map(|a| {
            let key = pubkey("account pubkey", &a.pubkey)?;
            anyhow::ensure!(
                !a.is_signer || key == *keeper,
                "an instruction of program {program_id} needs signer {key}, not the keeper"
            );
            Ok(AccountMeta {
                pubkey: key,
                is_signer: a.is_signer,
                is_writable: a.is_writable,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(&ix.data)
        .context("instruction data is not base64")?;
    Ok(Instruction {
        program_id,
        accounts,
        data,
    })
}

impl QuoteSource for Jupiter {
    fn describe(&self) -> String {
        format!("Jupiter at {}", self.base)
    }

    fn probe_budget(&self) -> Option<usize> {
        Some(PROBES_PER_PAIR)
    }

    fn venue(&self, _mint_in: &Pubkey, _mint_out: &Pubkey) -> Option<(usize, u64)> {
        // whether a route exists is the quote's answer
        Some((0, u64::MAX))
    }

    fn quote(
        &mut self,
        venue: usize,
        mint_in: &Pubkey,
        mint_out: &Pubkey,
        amount_in: u64,
    ) -> anyhow::Result<Option<RouteQuote>> {
        let r = self
            .client
            .get(format!("{}/quote", self.base))
            .query(&[
                ("inputMint", mint_in.to_string()),
                ("outputMint", mint_out.to_string()),
                ("amount", amount_in.to_string()),
                ("slippageBps", self.slippage_bps.to_string()),
                ("maxAccounts", MAX_ROUTE_ACCOUNTS.to_string()),
            ])
            .send();
        let body = match self.no_route_or_answer(r)? {
            Some(body) => body,
            None => return Ok(None),
        };
        let value: serde_json::Value = serde_json::from_str(&body)
            .with_context(|| format!("Jupiter quote at {}: not JSON", self.base))?;
        let fields: QuoteFields = serde_json::from_value(value.clone())
            .with_context(|| format!("Jupiter quote at {}: not a QuoteResponse", self.base))?;
        anyhow::ensure!(
            fields.input_mint == mint_in.to_string()
                && fields.output_mint == mint_out.to_string()
                && fields.swap_mode == "ExactIn"
                && amount("inAmount", &fields.in_amount)? == amount_in,
            "Jupiter quote at {}: answers another trade ({} {} -> {}, {}) than asked ({amount_in} {mint_in} -> {mint_out}, ExactIn)",
            self.base,
            fields.in_amount,
            fields.input_mint,
            fields.output_mint,
            fields.swap_mode
        );
        let amount_out = amount("outAmount", &fields.out_amount)?;
        let min_out = amount("otherAmountThreshold", &fields.other_amount_threshold)?;
        anyhow::ensure!(
            min_out <= amount_out,
            "Jupiter quote at {}: otherAmountThreshold {min_out} above outAmount {amount_out}",
            self.base
        );
        Ok(Some(RouteQuote {
            venue,
            amount_in,
            amount_out,
            min_out,
            detail: RouteDetail::Aggregator(value),
        }))
    }

    fn swap(
        &mut self,
        q: &RouteQuote,
        keeper: &Pubkey,
        (_source, destination): (Pubkey, Pubkey),
        min_out: u64,
    ) -> anyhow::Result<SwapRoute> {
        let RouteDetail::Aggregator(quote_response) = &q.detail else {
            anyhow::bail!("not a Jupiter quote");
        };
        // the swap instruction carries the quote's own threshold
        anyhow::ensure!(
            min_out <= q.min_out,
            "the plan needs {min_out} out, the quote guarantees {}",
            q.min_out
        );
        let request = SwapRequest {
            user_public_key: keeper.to_string(),
            wrap_and_unwrap_sol: false,
            destination_token_account: destination.to_string(),
            quote_response,
        };
        let r = self
            .client
            .post(format!("{}/swap-instructions", self.base))
            .json(&request)
            .send();
        let body = self.answer("Jupiter swap-instructions", r)?;
        let answer: SwapInstructionsResponse = serde_json::from_str(&body).with_context(|| {
            format!(
                "Jupiter swap-instructions at {}: not a SwapInstructionsResponse",
                self.base
            )
        })?;
        let setup = answer
            .setup_instructions
            .into_iter()
            .map(|ix| instruction(ix, keeper))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut swap = vec![instruction(answer.swap_instruction, keeper)?];
        if let Some(cleanup) = answer.cleanup_instruction {
            swap.push(instruction(cleanup, keeper)?);
        }
        let lookup_tables = answer
            .address_lookup_table_addresses
            .iter()
            .map(|a| pubkey("addressLookupTableAddresses", a))
            .collect::<anyhow::Result<_>>()?;
        Ok(SwapRoute {
            setup,
            swap,
            lookup_tables,
        })
    }
}
