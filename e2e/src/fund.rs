//! Fund, shortfall and claimant fields read at the offsets `docs/design.md` gives, and the
//! PDAs of `programs/insurance_fund/src/state/seeds.rs`.

use solana_pubkey::Pubkey;

fn u16_at(d: &[u8], o: usize) -> u16 {
    u16::from_le_bytes(d[o..o + 2].try_into().expect("2 bytes"))
}
fn u32_at(d: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(d[o..o + 4].try_into().expect("4 bytes"))
}
fn u64_at(d: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(d[o..o + 8].try_into().expect("8 bytes"))
}
fn i64_at(d: &[u8], o: usize) -> i64 {
    i64::from_le_bytes(d[o..o + 8].try_into().expect("8 bytes"))
}
fn key_at(d: &[u8], o: usize) -> Pubkey {
    Pubkey::new_from_array(d[o..o + 32].try_into().expect("32 bytes"))
}

/// `Fund::SPACE`.
pub const FUND_SPACE: usize = 5056;
const ASSETS: usize = 400;
const ASSET_SIZE: usize = 288;

/// The fields of a `Fund` account the end-to-end test asserts on.
#[derive(Clone, Debug)]
pub struct FundView {
    pub governance: Pubkey,
    pub pending_governance: Pubkey,
    pub min_liquid_bps: u16,
    pub asset_count: u8,
    pub paused: u8,
    pub timelock_secs: u32,
    pub config_seq: u64,
    /// `RebalanceState::total_volume`, `total_premium`, `fills`.
    pub rebalance_total_volume: u64,
    pub rebalance_total_premium: u64,
    pub fills: u64,
    pub approval_threshold: u64,
    /// `DrawState::total_drawn`, `shortfall_count`, `open_shortfalls`.
    pub total_drawn: u64,
    pub shortfall_count: u64,
    pub open_shortfalls: u32,
    pub assets: Vec<AssetView>,
}

#[derive(Clone, Debug)]
pub struct AssetView {
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub price_lower: u64,
    pub price_upper: u64,
    pub price_publish_time: i64,
    pub booked_balance: u64,
    pub total_fees_received: u64,
    pub target_bps: u16,
    pub max_weight_bps: u16,
    pub token_program: u8,
}

impl FundView {
    pub fn decode(d: &[u8]) -> Self {
        assert_eq!(d.len(), FUND_SPACE, "a Fund account is {FUND_SPACE} bytes");
        let asset_count = d[148];
        let assets = (0..usize::from(asset_count))
            .map(|k| {
                let a = ASSETS + k * ASSET_SIZE;
                AssetView {
                    mint: key_at(d, a),
                    vault: key_at(d, a + 32),
                    price_lower: u64_at(d, a + 120),
                    price_upper: u64_at(d, a + 128),
                    price_publish_time: i64_at(d, a + 152),
                    booked_balance: u64_at(d, a + 200),
                    total_fees_received: u64_at(d, a + 208),
                    target_bps: u16_at(d, a + 224),
                    max_weight_bps: u16_at(d, a + 226),
                    token_program: d[a + 233],
                }
            })
            .collect();
        Self {
            governance: key_at(d, 8),
            pending_governance: key_at(d, 40),
            min_liquid_bps: u16_at(d, 144),
            asset_count,
            paused: d[149],
            timelock_secs: u32_at(d, 168),
            config_seq: u64_at(d, 184),
            // RebalanceState at 296: volume_level, premium_level, last_update, total_volume,
            // total_premium, fills
            rebalance_total_volume: u64_at(d, 296 + 24),
            rebalance_total_premium: u64_at(d, 296 + 32),
            fills: u64_at(d, 296 + 40),
            approval_threshold: u64_at(d, 344),
            // DrawState at 360: level, updated_at, total_drawn, shortfall_count, open_shortfalls
            total_drawn: u64_at(d, 360 + 16),
            shortfall_count: u64_at(d, 360 + 24),
            open_shortfalls: u32_at(d, 360 + 32),
            assets,
        }
    }

    pub fn asset(&self, mint: &Pubkey) -> &AssetView {
        self.assets
            .iter()
            .find(|a| a.mint == *mint)
            .unwrap_or_else(|| panic!("mint {mint} is not registered"))
    }
}

/// The fields of a `Shortfall` account (after the 8-byte discriminator: `fund`, `claimant`,
/// `id`, `declared`, `paid`, `reference`, `status`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortfallView {
    pub fund: Pubkey,
    pub claimant: Pubkey,
    pub id: u64,
    pub declared: u64,
    pub paid: u64,
    /// `Open` 0, `Paid` 1, `Cancelled` 2.
    pub status: u8,
}

impl ShortfallView {
    pub fn decode(d: &[u8]) -> Self {
        assert_eq!(d.len(), 172, "a Shortfall account is 172 bytes");
        Self {
            fund: key_at(d, 8),
            claimant: key_at(d, 40),
            id: u64_at(d, 72),
            declared: u64_at(d, 80),
            paid: u64_at(d, 88),
            status: d[128],
        }
    }
}

pub fn fund_address(program: &Pubkey, create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"fund", create_key.as_ref()], program).0
}

pub fn claimant_address(program: &Pubkey, fund: &Pubkey, authority: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"claimant", fund.as_ref(), authority.as_ref()], program).0
}

pub fn shortfall_address(program: &Pubkey, fund: &Pubkey, id: u64) -> Pubkey {
    Pubkey::find_program_address(&[b"shortfall", fund.as_ref(), &id.to_le_bytes()], program).0
}
