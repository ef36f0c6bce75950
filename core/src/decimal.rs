//! Decimal numbers as learners type them in sizes and durations (`1.5g`, `0.5s`, `--memory 6.5m`),
//! read exactly.
//!
//! Why not `str::parse::<f64>`: it brings its tables and code (about 14 KB) into the page for four
//! small parsers, and these values are short decimals that integers hold exactly. Go's
//! `time.ParseDuration` reads its numbers the same way, with integers.

/// Fraction digits kept: 10^18 fits in a u64, and a dropped 19th digit moves no result here by a
/// whole unit (the largest unit is a pebibyte, about 1.1e15).
const MAX_SCALE: u32 = 18;

/// A non-negative decimal, `digits / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    digits: u128,
    scale: u32,
}

impl Decimal {
    /// Reads `12`, `1.5`, `.5` or `5.`: digits with at most one dot, and at least one digit.
    /// Signs, exponents and anything else give `None`. An integer part too large for any result
    /// reads as a value that every [`Decimal::times`] refuses.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let mut digits: u128 = 0;
        for b in int.bytes() {
            digits = match digits
                .checked_mul(10)
                .and_then(|d| d.checked_add(u128::from(b - b'0')))
            {
                Some(d) => d,
                None => {
                    return Some(Decimal {
                        digits: u128::MAX,
                        scale: 0,
                    });
                }
            };
        }
        let mut scale = 0;
        for b in frac.bytes().take(MAX_SCALE as usize) {
            // Saturating: an integer part large enough to overflow here is already over any u64.
            digits = digits.saturating_mul(10).saturating_add(u128::from(b - b'0'));
            scale += 1;
        }
        Some(Decimal { digits, scale })
    }

    /// `self × unit`, rounded down (as Go's conversion of a float to an integer does), or `None`
    /// when it does not fit in a u64.
    pub fn times(self, unit: u64) -> Option<u64> {
        let one = 10u128.pow(self.scale);
        let (whole, part) = (self.digits / one, self.digits % one);
        // `part < 10^18` and `unit < 2^64`: the product stays under 2^124.
        let value = whole
            .checked_mul(u128::from(unit))?
            .checked_add(part * u128::from(unit) / one)?;
        u64::try_from(value).ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value(text: &str, unit: u64) -> Option<u64> {
        Decimal::parse(text)?.times(unit)
    }

    #[test]
    fn reads_the_forms_go_reads() {
        assert_eq!(value("12", 1), Some(12));
        assert_eq!(value("1.5", 1024), Some(1536));
        assert_eq!(value(".5", 1000), Some(500));
        assert_eq!(value("5.", 3), Some(15));
        assert_eq!(value("007", 1), Some(7));
        // 0.1 KiB is 102.4 bytes: rounded down, as Go's int64(float) does.
        assert_eq!(value("0.1", 1024), Some(102));
        // A float would make 1.15 × 100 = 114.99999999999999 and give 114.
        assert_eq!(value("1.15", 100), Some(115));
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for bad in [
            "", ".", "1.2.3", "-1", "+1", "1e3", "inf", "nan", " 1", "1 ", "1,5", "١",
        ] {
            assert_eq!(Decimal::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn results_too_large_are_refused_not_wrapped() {
        assert_eq!(value("18446744073709551615", 1), Some(u64::MAX));
        assert_eq!(value("18446744073709551616", 1), None);
        assert_eq!(value("17179869184", 1 << 30), None);
        let huge = "9".repeat(60);
        assert_eq!(value(&huge, 1), None);
        assert_eq!(value(&format!("{huge}.5"), 1), None);
        // Many fraction digits are fine: only the first 18 count.
        assert_eq!(value(&format!("2.{huge}"), 1000), Some(2999));
        assert_eq!(value("0", u64::MAX), Some(0));
    }

    proptest! {
        /// Against f64 arithmetic (the way Go computes these): equal, up to the float's own
        /// rounding (one unit, or its 53-bit precision on large results).
        #[test]
        fn agrees_with_float_arithmetic(
            int in 0u64..1_000_000_000,
            frac in proptest::option::of("[0-9]{1,6}"),
            unit in prop_oneof![Just(1u64), Just(1024), Just(1 << 20), Just(1 << 30), Just(1_000_000_000)],
        ) {
            let text = match &frac {
                Some(f) => format!("{int}.{f}"),
                None => int.to_string(),
            };
            let exact = value(&text, unit).unwrap();
            let float = (text.parse::<f64>().unwrap() * unit as f64) as u64;
            let slack = 1 + (exact >> 50);
            prop_assert!(exact.abs_diff(float) <= slack, "{text} × {unit}: {exact} vs {float}");
        }

        #[test]
        fn never_panics(text in "[0-9.]{0,50}", unit in any::<u64>()) {
            let _ = Decimal::parse(&text).and_then(|d| d.times(unit));
        }
    }
}
