//! A JSON-RPC proxy between `ifund` and the validator, to make a transaction land after the
//! client has given up confirming it.
//!
//! Armed, it holds the first `sendTransaction` it sees: it answers with the transaction's
//! signature at once (as a node that accepted it would) but forwards it to the validator only
//! `hold` later, and it answers `isBlockhashValid` for that transaction's blockhash with
//! `false`, 1.2 s late (a node lagging behind, or load-balanced RPC answering from another node: the
//! client's `send_and_confirm_transaction` then stops waiting at once, "unable to confirm
//! transaction"). Everything else goes through unchanged, so the block height and signature
//! statuses a careful client checks are the validator's own. It records the signature of
//! every `sendTransaction`, so a test sees whether the client signed a second transaction.
//!
//! HTTP/1.1 with `Content-Length` bodies, as `solana-rpc-client` sends them; one thread per
//! connection; upstream requests are HTTP/1.0 (one per connection, body to EOF).

use anyhow::{bail, Context};
use base64::Engine;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct State {
    armed: bool,
    hold: Duration,
    /// Blockhash (base58) of the held transaction.
    held_blockhash: Option<String>,
    /// Signature (base58) of every `sendTransaction`, in order.
    sent: Vec<String>,
}

pub struct Proxy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> anyhow::Result<Self> {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .replace("0.0.0.0", "127.0.0.1")
            .parse()
            .context("upstream must be http://<ip>:<port>")?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &state);
                });
            }
        });
        Ok(Self { url, state })
    }

    /// Holds the next `sendTransaction` for `hold` (see the module doc).
    pub fn arm(&self, hold: Duration) {
        let mut s = self.state.lock().unwrap();
        s.armed = true;
        s.hold = hold;
        s.held_blockhash = None;
        s.sent.clear();
    }

    /// Signatures of the `sendTransaction` calls since [`Proxy::arm`], in order.
    pub fn sent(&self) -> Vec<String> {
        self.state.lock().unwrap().sent.clone()
    }
}

fn serve(conn: TcpStream, upstream: SocketAddr, state: &Arc<Mutex<State>>) -> anyhow::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    loop {
        let mut length = None;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(()); // connection closed
        }
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse::<usize>()?);
                }
            }
        }
        let mut body = vec![0u8; length.context("request without Content-Length")?];
        reader.read_exact(&mut body)?;
        let response = handle(&body, upstream, state)?;
        write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            response.len()
        )?;
        writer.write_all(&response)?;
        writer.flush()?;
    }
}

fn handle(body: &[u8], upstream: SocketAddr, state: &Arc<Mutex<State>>) -> anyhow::Result<Vec<u8>> {
    let request: Value = serde_json::from_slice(body)?;
    match request["method"].as_str() {
        Some("sendTransaction") => {
            let (signature, blockhash) = signature_and_blockhash(&request)?;
            let hold = {
                let mut s = state.lock().unwrap();
                s.sent.push(signature.clone());
                if s.armed && s.held_blockhash.is_none() {
                    s.held_blockhash = Some(blockhash);
                    Some(s.hold)
                } else {
                    None
                }
            };
            if let Some(hold) = hold {
                let body = body.to_vec();
                std::thread::spawn(move || {
                    std::thread::sleep(hold);
                    let _ = forward(&body, upstream);
                });
                return Ok(serde_json::to_vec(
                    &json!({"jsonrpc": "2.0", "result": signature, "id": request["id"]}),
                )?);
            }
            forward(body, upstream)
        }
        Some("isBlockhashValid") => {
            let asked = request["params"][0]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let lie = state.lock().unwrap().held_blockhash.as_deref() == Some(asked.as_str());
            let answer = forward(body, upstream)?;
            if !lie {
                return Ok(answer);
            }
            // answer late, so a client that signs again at once gets a newer blockhash (the
            // same one would give the same signature, hiding a second signing)
            std::thread::sleep(Duration::from_millis(1200));
            let mut v: Value = serde_json::from_slice(&answer)?;
            v["result"]["value"] = Value::Bool(false);
            Ok(serde_json::to_vec(&v)?)
        }
        _ => forward(body, upstream),
    }
}

/// The first signature and the recent blockhash (base58) of a `sendTransaction` request's
/// transaction (base64 or base58 wire format; a legacy or v0 message).
fn signature_and_blockhash(request: &Value) -> anyhow::Result<(String, String)> {
    let encoded = request["params"][0].as_str().context("transaction")?;
    let base64 = request["params"][1]["encoding"].as_str() == Some("base64");
    let wire = if base64 {
        base64::engine::general_purpose::STANDARD.decode(encoded)?
    } else {
        bs58::decode(encoded).into_vec()?
    };
    let (sigs, mut at) = compact_u16(&wire, 0)?;
    anyhow::ensure!(sigs >= 1, "unsigned transaction");
    let signature = bs58::encode(&wire[at..at + 64]).into_string();
    at += 64 * sigs;
    if wire[at] & 0x80 != 0 {
        at += 1; // versioned message prefix
    }
    at += 3; // header
    let (keys, next) = compact_u16(&wire, at)?;
    at = next + 32 * keys;
    let blockhash = bs58::encode(&wire[at..at + 32]).into_string();
    Ok((signature, blockhash))
}

fn compact_u16(d: &[u8], mut at: usize) -> anyhow::Result<(usize, usize)> {
    let mut value = 0usize;
    for shift in [0, 7, 14] {
        let b = *d.get(at).context("truncated transaction")?;
        at += 1;
        value |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok((value, at));
        }
    }
    bail!("bad compact-u16")
}

/// POSTs `body` to the validator's RPC and returns the response body.
fn forward(body: &[u8], upstream: SocketAddr) -> anyhow::Result<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&upstream, Duration::from_secs(5))?;
    write!(
        s,
        "POST / HTTP/1.0\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("upstream response without headers")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        return dechunk(&body);
    }
    Ok(body)
}

fn dechunk(mut d: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = d
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("chunk size")?;
        let size = usize::from_str_radix(std::str::from_utf8(&d[..end])?.trim(), 16)?;
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&d[end + 2..end + 2 + size]);
        d = &d[end + 2 + size + 2..];
    }
}
