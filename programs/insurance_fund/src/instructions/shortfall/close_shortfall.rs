use crate::error::FundError;
use crate::state::{Fund, Shortfall, ShortfallStatus};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CloseShortfall<'info> {
    pub fund: AccountLoader<'info, Fund>,
    #[account(
        mut,
        has_one = fund @ FundError::ShortfallMismatch,
        has_one = rent_payer @ FundError::ShortfallMismatch,
        close = rent_payer,
    )]
    pub shortfall: Account<'info, Shortfall>,
    /// CHECK: the account that paid the record's rent (stored in it); receives it back.
    #[account(mut)]
    pub rent_payer: UncheckedAccount<'info>,
}

/// Closes a paid or cancelled shortfall record and returns its rent to whoever paid it.
///
/// Specification:
/// - Anyone may call; the rent goes only to the stored payer (`ShortfallMismatch`).
/// - The shortfall belongs to this fund (`ShortfallMismatch`) and is paid or cancelled
///   (`ShortfallStillOpen`).
/// - Closes the account. Its address cannot be revived as a shortfall: ids only grow, and a
///   declaration must use the fund's next id.
pub fn close_shortfall(ctx: Context<CloseShortfall>) -> Result<()> {
    require!(
        ctx.accounts.shortfall.status != ShortfallStatus::Open,
        FundError::ShortfallStillOpen
    );
    Ok(())
}
