//! One checked-math trait used for every amount and counter in the program.
//!
//! Each method is `#[track_caller]`: on overflow the log names the call site, so an overflow
//! found in production points at the exact line instead of a generic failure.

use crate::error::FundError;
use anchor_lang::prelude::*;

pub trait SafeMath: Sized {
    fn safe_add(self, rhs: Self) -> Result<Self>;
    fn safe_sub(self, rhs: Self) -> Result<Self>;
    fn safe_mul(self, rhs: Self) -> Result<Self>;
    /// Division rounding toward zero (down, for unsigned values).
    fn safe_div_floor(self, rhs: Self) -> Result<Self>;
    /// Division rounding up.
    fn safe_div_ceil(self, rhs: Self) -> Result<Self>;
}

#[cold]
#[track_caller]
fn overflow() -> anchor_lang::error::Error {
    let caller = core::panic::Location::caller();
    msg!("math overflow at {}:{}", caller.file(), caller.line());
    FundError::MathOverflow.into()
}

macro_rules! impl_safe_math {
    ($($t:ty),*) => {$(
        impl SafeMath for $t {
            #[inline(always)]
            #[track_caller]
            fn safe_add(self, rhs: Self) -> Result<Self> {
                self.checked_add(rhs).ok_or_else(overflow)
            }
            #[inline(always)]
            #[track_caller]
            fn safe_sub(self, rhs: Self) -> Result<Self> {
                self.checked_sub(rhs).ok_or_else(overflow)
            }
            #[inline(always)]
            #[track_caller]
            fn safe_mul(self, rhs: Self) -> Result<Self> {
                self.checked_mul(rhs).ok_or_else(overflow)
            }
            #[inline(always)]
            #[track_caller]
            fn safe_div_floor(self, rhs: Self) -> Result<Self> {
                self.checked_div(rhs).ok_or_else(overflow)
            }
            #[inline(always)]
            #[track_caller]
            fn safe_div_ceil(self, rhs: Self) -> Result<Self> {
                if rhs == 0 {
                    return Err(overflow());
                }
                let q = self / rhs;
                if self % rhs == 0 { Ok(q) } else { q.checked_add(1).ok_or_else(overflow) }
            }
        }
    )*};
}

impl_safe_math!(u16, u32, u64, u128);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sub_mul_report_overflow() {
        assert_eq!(u64::MAX.safe_add(0).unwrap(), u64::MAX);
        assert!(u64::MAX.safe_add(1).is_err());
        assert!(0u64.safe_sub(1).is_err());
        assert!(u64::MAX.safe_mul(2).is_err());
        assert_eq!(7u64.safe_mul(6).unwrap(), 42);
    }

    #[test]
    fn division_rounds_in_the_named_direction() {
        assert_eq!(7u64.safe_div_floor(2).unwrap(), 3);
        assert_eq!(7u64.safe_div_ceil(2).unwrap(), 4);
        assert_eq!(8u64.safe_div_ceil(2).unwrap(), 4);
        assert_eq!(0u64.safe_div_ceil(5).unwrap(), 0);
        assert!(1u64.safe_div_floor(0).is_err());
        assert!(1u64.safe_div_ceil(0).is_err());
        assert_eq!(u128::MAX.safe_div_ceil(2).unwrap(), u128::MAX / 2 + 1);
    }
}
