//! Each change applied to a local copy of the fund with the program's own writes and rules.

use super::{reason, rule, Ctx, ProposedChange, State};
use anchor_lang::prelude::*;
use anyhow::{bail, Context};
use insurance_fund::state::{Asset, TokenProgramKind};
use insurance_fund::timelock::{ChangeRecord, ConfigChange};
use insurance_fund_client::{decode, pda};

/// The new asset the program's `add_asset` would append for `mint`: the mint account's owner
/// must be a token program (`TokenProgramMismatch`) and its extensions must pass the vault
/// policy (`token_policy::check_mint_extensions`, the program's own function).
pub(super) fn new_asset(ctx: &Ctx, mint: &Pubkey) -> anyhow::Result<Asset> {
    let account = ctx
        .on_chain
        .accounts
        .get(mint)
        .cloned()
        .flatten()
        .with_context(|| format!("no mint account at {mint} on {}", ctx.on_chain.source))?;
    let token_program = TokenProgramKind::from_program_id(&account.owner)
        .map_err(reason)
        .with_context(|| format!("{mint} is owned by {}", account.owner))?;
    let state = decode::mint(&account.data).with_context(|| format!("{mint} is not a mint"))?;
    let (mut lamports, mut data) = (account.lamports, account.data.clone());
    let info = AccountInfo::new(
        mint,
        false,
        false,
        &mut lamports,
        &mut data,
        &account.owner,
        false,
    );
    rule(insurance_fund::token_policy::check_mint_extensions(&info))?;
    let (vault, vault_bump) = pda::vault_address_and_bump(&ctx.fund_key, mint);
    Ok(Asset {
        mint: *mint,
        vault,
        decimals: state.decimals,
        token_program: token_program as u8,
        vault_bump,
        ..Asset::default()
    })
}

/// Applies `change` to a copy of `state` as the program would, with the program's own writes
/// and checks (`ConfigChange::apply` and the `state::config` methods the handlers call), then
/// runs its validation on the result (`Fund::invariant`, `Claimant::invariant`).
pub(super) fn apply(ctx: &Ctx, state: &State, change: &ProposedChange) -> anyhow::Result<State> {
    let mut s = state.clone();
    let f = &mut s.fund;
    match change {
        ProposedChange::Targets(t) => rule(f.set_targets(t))?,
        ProposedChange::ProposeGovernance(new) => {
            rule(f.propose_governance(*new))
                .with_context(|| format!("{new} is the default key or the current governance"))?;
        }
        ProposedChange::RetireAsset(mint) => {
            rule(f.retire_asset(mint))?;
        }
        ProposedChange::RemoveAsset { mint, .. } => {
            // remove_asset: the vault's balance as read now (a deposit before the proposal
            // executes would still make the program refuse it)
            let i = rule(f.asset_index(mint))?;
            let vault = f.assets[i].vault;
            let amount = match ctx.on_chain.accounts.get(&vault).cloned().flatten() {
                Some(a) => {
                    decode::token_account(&a.data)
                        .with_context(|| format!("the vault {vault} is not a token account"))?
                        .amount
                }
                None => bail!("no vault account at {vault} on {}", ctx.on_chain.source),
            };
            rule(f.assets[i].check_removable(amount))
                .with_context(|| format!("vault {vault} holds {amount}"))?;
            f.remove_asset_at(i);
        }
        ProposedChange::RemoveClaimant { authority, .. } => {
            let c = s
                .claimants
                .get_mut(authority)
                .and_then(Option::take)
                .with_context(|| format!("no claimant account for {authority}"))?;
            // remove_claimant
            rule(c.check_removable())
                .map_err(|e| anyhow::anyhow!("{e} (it has {} open)", c.open_shortfalls))?;
        }
        ProposedChange::Config(c) => {
            // what queue_change checks; the direct instructions check the same
            rule(c.validate_shape())?;
            let record = match c {
                ConfigChange::AddAsset { mint, .. } => {
                    ChangeRecord::NewAsset(Box::new(new_asset(ctx, mint)?))
                }
                ConfigChange::RegisterClaimant { authority, .. } => {
                    let slot = s.claimants.entry(*authority).or_default();
                    anyhow::ensure!(
                        slot.is_none(),
                        "{authority} is already a claimant of this fund (account {} exists)",
                        pda::claimant_address(&ctx.fund_key, authority)
                    );
                    ChangeRecord::Claimant {
                        slot,
                        bump: pda::claimant_address_and_bump(&ctx.fund_key, authority).1,
                    }
                }
                ConfigChange::UpdateClaimant { authority, .. } => {
                    let slot = s
                        .claimants
                        .get_mut(authority)
                        .filter(|c| c.is_some())
                        .with_context(|| format!("no claimant account for {authority}"))?;
                    ChangeRecord::Claimant { slot, bump: 0 }
                }
                _ => ChangeRecord::Fund,
            };
            return rule(c.apply(f, ctx.fund_key, record)).map(|()| s);
        }
    }
    rule(s.fund.invariant())?;
    Ok(s)
}
