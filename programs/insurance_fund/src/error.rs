//! The program's single error enum: one precise name and message per failure.
//!
//! Codes are stable (Anchor adds 6000 to each discriminant; groups start at round numbers): append new variants
//! at the end of their group's range and never reorder, because integrators match on them.

use anchor_lang::prelude::*;

#[error_code]
pub enum FundError {
    // ---- authority ------------------------------------------------------------------------
    #[msg("Signer is not the fund's governance authority")]
    NotGovernance = 0,
    #[msg("Signer is neither the fund's guardian nor its governance authority")]
    NotGuardianOrGovernance,
    #[msg("Signer is not the proposed governance authority")]
    NotPendingGovernance,
    #[msg("No governance transfer is pending")]
    NoPendingGovernance,
    #[msg("The proposed governance authority is the current one or the default key")]
    InvalidGovernance,

    // ---- configuration --------------------------------------------------------------------
    #[msg("Numeraire decimals exceed the maximum")]
    NumeraireDecimalsTooHigh = 20,
    #[msg("Minimum liquid share exceeds 10,000 bps")]
    MinLiquidShareTooHigh,
    #[msg("The fund already holds the maximum number of assets")]
    TooManyAssets,
    #[msg("This mint is already registered in the fund")]
    AssetAlreadyRegistered,
    #[msg("Max weight exceeds 10,000 bps")]
    MaxWeightTooHigh,
    #[msg("Max weight is below the asset's target weight")]
    MaxWeightBelowTarget,
    #[msg("Haircut exceeds 10,000 bps")]
    HaircutTooHigh,
    #[msg("Target weights must sum to exactly 10,000 bps")]
    TargetsSumInvalid,
    #[msg("Target weight exceeds 10,000 bps")]
    TargetTooHigh,
    #[msg("Number of targets differs from the number of registered assets")]
    TargetsLengthMismatch,
    #[msg("Targets of liquid-class assets are below the fund's minimum liquid share")]
    LiquidTargetsBelowMinimum,
    #[msg("Unknown liquidity class")]
    InvalidLiquidityClass,
    #[msg("Unknown asset flag bits")]
    InvalidAssetFlags,
    #[msg("Unknown oracle source")]
    InvalidOracleSource,
    #[msg("Pyth feed id must be non-zero")]
    InvalidOracleFeedId,
    #[msg("Oracle max age must be between 1 second and the protocol maximum")]
    InvalidOracleMaxAge,
    #[msg("Oracle max confidence must be between 1 bps and the protocol maximum")]
    InvalidOracleConfidence,
    #[msg("Fixed price must be positive with an exponent in the accepted range")]
    InvalidFixedPrice,
    #[msg("Unknown pause flag bits, or no flag given")]
    InvalidPauseFlags,
    #[msg("Stored fund configuration violates an invariant")]
    InvariantViolated,
    #[msg("A fixed price is only allowed for a liquid-class asset (the numeraire)")]
    FixedPriceNotLiquid,
    #[msg("Max price age must be between 1 second and the protocol maximum")]
    InvalidMaxPriceAge,
    #[msg("Max pause duration is outside the protocol bounds")]
    InvalidMaxPause,
    #[msg("Rebalance band must be between 1 bps and the protocol maximum")]
    InvalidRebalanceBand,
    #[msg("Premiums must satisfy start <= max <= the protocol maximum")]
    InvalidPremium,
    #[msg("Auction duration is outside the protocol bounds")]
    InvalidAuctionDuration,
    #[msg("Rate-limit window is outside the protocol bounds")]
    InvalidRateLimitWindow,
    #[msg("Volume cap must be positive and at least the minimum trade value")]
    InvalidRateLimit,
    #[msg("Fund-wide draw cap must be between 1 and 10,000 bps")]
    InvalidDrawCap,
    #[msg("Claimant caps must be positive and none above the lifetime cap")]
    InvalidClaimantCaps,

    // ---- Token-2022 mint policy -----------------------------------------------------------
    #[msg("Mint has a permanent delegate that could move vault funds")]
    MintHasPermanentDelegate = 50,
    #[msg("Mint has a transfer hook program or an authority that can set one")]
    MintHasTransferHook,
    #[msg("Mint creates new token accounts frozen")]
    MintDefaultFrozen,
    #[msg("Mint is non-transferable")]
    MintNonTransferable,
    #[msg("Mint is pausable")]
    MintPausable,
    #[msg("Mint has a close authority")]
    MintHasCloseAuthority,
    #[msg("Mint scales its UI amount (interest-bearing or scaled UI amount); oracle valuation would be ambiguous")]
    MintUiAmountScaled,
    #[msg("Mint carries a Token-2022 extension this fund does not accept")]
    MintUnsupportedExtension,
    #[msg("Token program is not the mint's owner")]
    TokenProgramMismatch,

    // ---- deposits -------------------------------------------------------------------------
    #[msg("Amount must be greater than zero")]
    ZeroAmount = 80,
    #[msg("Mint is not registered in this fund")]
    UnknownAsset,
    #[msg("Vault is not this fund's vault for the asset")]
    VaultMismatch,
    #[msg("Source token account holds a different mint")]
    SourceMintMismatch,
    #[msg("Account is not an initialized token account of the asset's token program")]
    InvalidTokenAccount,
    #[msg("Source token account is the fund's vault")]
    SourceIsVault,
    #[msg("Deposits are paused")]
    DepositsPaused,
    #[msg("Deposits are disabled for this asset")]
    AssetDepositsDisabled,
    #[msg("Vault balance did not increase")]
    NothingReceived,

    // ---- oracles and NAV -------------------------------------------------------------------
    #[msg("Oracle account is not owned by the Pyth receiver program")]
    OracleWrongOwner = 120,
    #[msg("Oracle account is not a price update")]
    OracleInvalidAccount,
    #[msg("Oracle feed id differs from the asset's")]
    OracleFeedMismatch,
    #[msg("Oracle account carries another asset's feed")]
    OracleBelongsToOtherAsset,
    #[msg("Oracle price update is only partially verified")]
    OracleNotFullyVerified,
    #[msg("Oracle price is older than the asset's max age")]
    OracleStale,
    #[msg("Oracle price is zero or negative")]
    OracleNonPositivePrice,
    #[msg("Oracle confidence interval is wider than the asset allows")]
    OracleConfidenceTooWide,
    #[msg("A cached price is older than its max age, the tighter of the asset's and the fund's (the log names the asset)")]
    PriceStale,
    #[msg("Asset selection is empty or names an unregistered asset")]
    InvalidAssetSelection,
    #[msg("Fewer remaining accounts than the documented layout needs")]
    MissingRemainingAccounts,
    #[msg("More remaining accounts than the documented layout allows")]
    ExtraRemainingAccounts,

    // ---- rebalancing ----------------------------------------------------------------------
    #[msg("Rebalancing is paused")]
    RebalancesPaused = 140,
    #[msg("Governance has not configured rebalancing yet")]
    RebalanceNotConfigured,
    #[msg("Governance has not set target weights yet")]
    TargetsNotSet,
    #[msg("In and out must be two different registered assets")]
    InvalidPair,
    #[msg("Keepers may not deliver this asset")]
    RebalanceInDisabled,
    #[msg("Keepers may not take this asset")]
    RebalanceOutDisabled,
    #[msg("The asset given out is not over its target")]
    OutNotOverweight,
    #[msg("The asset taken in is not under its target")]
    InNotUnderweight,
    #[msg("The pair's auction has not started (call sync_auctions)")]
    AuctionNotStarted,
    #[msg("The fill pays out nothing")]
    ZeroAmountOut,
    #[msg("The fund does not hold enough of the asset given out")]
    InsufficientVaultBalance,
    #[msg("The fill would push the asset given out below its target")]
    OutPushedBelowTarget,
    #[msg("The fill would push the asset taken in above its target")]
    InPushedAboveTarget,
    #[msg("The fill would break the liquidity bound")]
    LiquidityBound,
    #[msg("The fill would break the concentration bound")]
    ConcentrationBound,
    #[msg("The fill does not reduce the distance to targets")]
    DistanceNotReduced,
    #[msg("The fill would cost the fund more than the premium")]
    ValueBound,
    #[msg("Amount out is below the keeper's minimum")]
    SlippageExceeded,
    #[msg("Fill is smaller than the minimum trade value")]
    TradeTooSmall,
    #[msg("Fill exceeds the rebalance volume cap for the window")]
    VolumeCapExceeded,
    #[msg("Fill exceeds the premium budget for the window")]
    PremiumBudgetExceeded,

    #[msg("While a shortfall is open, only fills that deliver a liquid asset for a non-liquid one are allowed")]
    ShortfallModeLiquidOnly,
    #[msg("Neither asset of the pair is beyond its band (out over target + band, or in under target - band)")]
    PairInsideBands,
    #[msg("An asset keepers may deliver has a haircut the maximum premium cannot cover: no fill could buy it")]
    HaircutExceedsPremium,
    #[msg("Another asset's price is stale: only fills that deliver a liquid asset for a non-liquid one are allowed")]
    StalePricesLiquidOnly,

    // ---- shortfalls and draws -------------------------------------------------------------
    #[msg("Governance has not configured draws yet")]
    DrawsNotConfigured = 180,
    #[msg("Declarations are paused")]
    DeclarationsPaused,
    #[msg("Claimant is disabled")]
    ClaimantDisabled,
    #[msg("Signer is neither the claimant's authority nor governance")]
    NotClaimantOrGovernance,
    #[msg("Signer is not the claimant's authority")]
    NotClaimantAuthority,
    #[msg("Claimant belongs to another fund")]
    ClaimantFundMismatch,
    #[msg("Shortfall belongs to another fund or claimant")]
    ShortfallMismatch,
    #[msg("Shortfall is not open")]
    ShortfallNotOpen,
    #[msg("Shortfall is above the approval threshold and not approved")]
    ShortfallNotApproved,
    #[msg("Shortfall does not need approval or is already approved")]
    ShortfallApprovalNotNeeded,
    #[msg("Shortfall is still open")]
    ShortfallStillOpen,
    #[msg("Claimant still has open shortfalls")]
    ClaimantHasOpenShortfalls,
    #[msg("Nothing can be drawn: a cap is exhausted or no payable asset was given")]
    NothingToDraw,
    #[msg("Payout accounts are not in waterfall order")]
    WaterfallOrderViolated,
    #[msg("Payout token account is not owned by the claimant's payout owner")]
    PayoutOwnerMismatch,
    #[msg("Payout token account holds another mint")]
    PayoutMintMismatch,
    #[msg("Shortfall id is not the fund's next id")]
    ShortfallIdMismatch,
    #[msg("Payout owner may not be the fund itself")]
    InvalidPayoutOwner,

    // ---- timelock -------------------------------------------------------------------------
    #[msg("This change loosens the configuration: queue it and execute it after the timelock")]
    TimelockRequired = 220,
    #[msg("The queued change's timelock has not elapsed")]
    TimelockNotElapsed,
    #[msg("Governance changed since this change was queued; it can only be cancelled")]
    PendingChangeStale,
    #[msg("The queued change belongs to another fund or describes a different change")]
    PendingChangeMismatch,
    #[msg("The change hash is not the sha256 of the change")]
    ChangeHashMismatch,
    #[msg("Rent recipient is not the account that paid for the queued change")]
    RentRecipientMismatch,
    #[msg("Timelock exceeds the protocol maximum")]
    InvalidTimelock,
    #[msg("Only governance may cancel a queued change that is still valid")]
    NotGovernanceOrStale,
    #[msg("The queued change's grace period has passed; it can only be cancelled")]
    PendingChangeExpired,
    #[msg("Its target was changed after this change was queued; it can only be cancelled")]
    PendingChangeSuperseded,

    // ---- account creation -----------------------------------------------------------------
    #[msg("An account already exists at this address")]
    AccountAlreadyExists = 240,

    // ---- asset retirement and removal ------------------------------------------------------
    #[msg("The asset is retired: it takes no deposits, fills in or payouts, and its parameters are final")]
    AssetIsRetired = 260,
    #[msg("The asset's target weight must be 0 first (set_targets)")]
    AssetTargetNotZero,
    #[msg("The asset still holds a balance")]
    AssetNotEmpty,

    // ---- flash fills -----------------------------------------------------------------------
    #[msg("A flash fill is in progress on this fund: nothing else may use it before its rebalance_end")]
    FlashFillInProgress = 280,
    #[msg("Flash fill instructions must be top-level instructions of the transaction, not CPIs")]
    FlashFillNotTopLevel,
    #[msg("rebalance_begin needs its rebalance_end (same keeper, fund and vaults) later in the transaction")]
    FlashFillEndMissing,
    #[msg("No flash fill is in progress on this fund")]
    FlashFillNotStarted,
    #[msg("The vaults are not those of the flash fill in progress")]
    FlashFillMismatch,
    #[msg("The keeper took more than its delivery pays for at the auction premium")]
    FlashFillUnderpaid,
    #[msg("The instructions sysvar could not be read")]
    InvalidInstructionsSysvar,

    // ---- crisis liquidity -------------------------------------------------------------------
    #[msg("Discount must be at most the protocol maximum")]
    InvalidDiscount = 300,
    #[msg("Crisis profile: all zero, or a positive volume cap, premium and discount within bounds, a valid auction duration, gap trigger and hold")]
    InvalidCrisisProfile,
    #[msg(
        "A risk asset's price has gapped: only fills that raise the liquid share until it settles"
    )]
    PriceGapLiquidOnly,
    #[msg("A peg band is at most the protocol maximum, for a liquid asset priced by Pyth")]
    InvalidPegBand,
    #[msg("The crisis hold is running: only fills that raise the liquid share until it ends")]
    CrisisHoldLiquidOnly,

    // ---- fallback price source ---------------------------------------------------------------
    #[msg("Fallback: a Switchboard On-Demand feed account (not the default key) on a Pyth-priced asset, or none at all")]
    InvalidFallback = 320,
    #[msg("Fallback divergence limit must be between 1 bps and the protocol maximum")]
    InvalidDivergenceLimit,
    #[msg("Fallback account is not owned by the Switchboard On-Demand program")]
    FallbackWrongOwner,
    #[msg("Fallback account is not a pull feed with a result")]
    FallbackInvalidAccount,
    #[msg("Fallback account is not the asset's fallback feed")]
    FallbackFeedMismatch,
    #[msg("Fallback result is older than its max age")]
    FallbackStale,
    #[msg("Fallback result is zero or negative")]
    FallbackNonPositivePrice,
    #[msg("Fallback spread is wider than the asset allows")]
    FallbackConfidenceTooWide,
    #[msg("The fallback cannot price an asset the primary source never priced")]
    FallbackWithoutPrimaryPrice,
    #[msg(
        "The fallback differs from the last good primary price by more than the divergence limit"
    )]
    FallbackDiverges,
    #[msg("The primary and fallback prices, both fresh, differ by more than the divergence limit")]
    OracleSourcesDiverge,

    // ---- arithmetic -----------------------------------------------------------------------
    #[msg("Arithmetic overflow")]
    MathOverflow = 100,
}
