//! Fund instructions built from the committed Anchor IDL (`idl/insurance_fund.json`, which CI
//! keeps in step with the program): the discriminator, the accounts in the IDL's order with
//! its signer and writable flags, fixed addresses (the system program) filled in. Only the
//! arguments are encoded by the caller (Borsh of plain integers and byte arrays).

use anyhow::{bail, Context};
use serde_json::Value;
use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;
use std::str::FromStr;

pub struct Idl {
    json: Value,
    pub program_id: Pubkey,
}

impl Idl {
    /// The committed IDL of the repository this crate lives in.
    pub fn load() -> anyhow::Result<Self> {
        let path = crate::repo_root().join("idl/insurance_fund.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let json: Value = serde_json::from_str(&text)?;
        let program_id = Pubkey::from_str(json["address"].as_str().context("IDL address")?)?;
        Ok(Self { json, program_id })
    }

    /// Instruction `name`: `accounts` names each IDL account without a fixed address;
    /// `args` is the Borsh encoding of its arguments; `remaining` follows the named accounts.
    pub fn instruction(
        &self,
        name: &str,
        accounts: &[(&str, Pubkey)],
        args: &[u8],
        remaining: Vec<AccountMeta>,
    ) -> anyhow::Result<Instruction> {
        let ix = self.json["instructions"]
            .as_array()
            .context("IDL instructions")?
            .iter()
            .find(|i| i["name"] == name)
            .with_context(|| format!("no instruction {name} in the IDL"))?;
        let mut data: Vec<u8> = ix["discriminator"]
            .as_array()
            .context("discriminator")?
            .iter()
            .map(|b| b.as_u64().map(|b| b as u8).context("discriminator byte"))
            .collect::<anyhow::Result<_>>()?;
        data.extend_from_slice(args);
        let mut metas = Vec::new();
        for a in ix["accounts"].as_array().context("accounts")? {
            let account_name = a["name"].as_str().context("account name")?;
            let key = match (
                a["address"].as_str(),
                accounts.iter().find(|(n, _)| *n == account_name),
            ) {
                (_, Some((_, k))) => *k,
                (Some(fixed), None) => Pubkey::from_str(fixed)?,
                (None, None) => bail!("{name}: account {account_name} not given"),
            };
            let signer = a["signer"].as_bool().unwrap_or(false);
            let writable = a["writable"].as_bool().unwrap_or(false);
            metas.push(if writable {
                AccountMeta::new(key, signer)
            } else {
                AccountMeta::new_readonly(key, signer)
            });
        }
        metas.extend(remaining);
        Ok(Instruction {
            program_id: self.program_id,
            accounts: metas,
            data,
        })
    }
}
