//! How Docker writes single values: sizes, durations, times, cut-off text and short IDs.
//!
//! Public API:
//! - [`human_size`]`(bytes) -> String`: go-units `HumanSizeWithPrecision(_, 3)` (`ps -s`, `history`,
//!   `images`): `0B`, `5B`, `1.05MB`, `1e+03MB`.
//! - [`human_size_precision`]`(bytes, precision) -> String`: the same with any precision; `system df`
//!   uses 4 (`7.227MB`).
//! - [`human_duration`]`(seconds) -> String`: go-units `HumanDuration` (`Less than a second`,
//!   `About a minute`, `5 minutes`, `2 years`).
//! - [`ago`]`(now, then) -> String`: `"<duration> ago"` for `CREATED` columns.
//! - [`ellipsis`]`(text, max) -> String`: Docker's cut with a trailing `…`.
//! - [`go_quote`]`(text) -> String`: Go's `strconv.Quote`, as `ps` shows `COMMAND`.
//! - [`truncate_id`]`(id) -> String`: drop `sha256:` and keep 12 characters.
//! - [`rfc3339`]`(seconds) -> String` (`2024-01-01T00:00:00Z`) and [`go_time`]`(seconds) -> String`
//!   (`2024-01-01 00:00:00 +0000 UTC`, Go's `time.Time.String`).
//!
//! Times are seconds since the Unix epoch, passed in by the caller: core has no clock.
//!
//! No crate reproduces go-units and Go's `%g` to the byte (the `1e+03MB` quirk comes from Go's
//! exponent rule), so the few lines that do it live here.

/// go-units' decimal unit names. Docker writes `kB` with a lower-case `k`.
const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// A size with three significant digits, as `docker ps -s`, `history` and `images` print it.
pub fn human_size(bytes: u64) -> String {
    human_size_precision(bytes, 3)
}

/// A size with `precision` significant digits (go-units `HumanSizeWithPrecision`), up to 38.
pub fn human_size_precision(bytes: u64, precision: usize) -> String {
    // Same float operations in the same order as go-units, so the rounding matches too.
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < DECIMAL_UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    let name = DECIMAL_UNITS.get(unit).copied().unwrap_or("B");
    format!("{}{}", go_format_g(size, precision), name)
}

/// Go's `fmt.Sprintf("%.*g", precision, value)` for a finite, non-negative value.
///
/// Go switches to exponent form when the exponent after rounding is at least the precision, which
/// is why 999.5 MB rounds to `1e+03`. [`scientific`] gives the correctly rounded digits (ties to
/// even, like Go's); the layout rules below are Go's `strconv.FormatFloat(_, 'g', _, 64)`.
fn go_format_g(value: f64, precision: usize) -> String {
    let prec = precision.max(1);
    if value == 0.0 || !value.is_finite() {
        return "0".to_string();
    }
    let Some((mut digits, exponent)) = scientific(value.abs(), prec) else {
        return "0".to_string();
    };
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    let nd = digits.len() as i64;
    let dp = exponent + 1;
    let prec = prec as i64;

    let mut eprec = prec;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let exp = dp - 1;
    let digit = |i: i64| -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .map_or('0', |&d| d as char)
    };
    let mut out = String::new();
    if exp < -4 || exp >= eprec {
        let p = prec.min(nd);
        out.push(digit(0));
        if p > 1 {
            out.push('.');
            for i in 1..p {
                out.push(digit(i));
            }
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
        return out;
    }
    let p = if prec > dp { nd } else { prec };
    let frac = (p - dp).max(0);
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if frac > 0 {
        out.push('.');
        for i in 0..frac {
            out.push(digit(dp + i));
        }
    }
    out
}

/// `format!("{value:.decimals$}")` for a finite, non-negative value below 2^64 (anything else
/// prints as 0), in integer arithmetic; see [`Exact`] for why.
pub fn fixed(value: f64, decimals: u32) -> String {
    let scaled = Exact::new(value)
        .and_then(|exact| exact.scaled(i64::from(decimals)))
        .unwrap_or(0);
    let mut digits = decimal_digits(scaled);
    let decimals = decimals as usize;
    while digits.len() <= decimals {
        digits.insert(0, b'0');
    }
    let point = digits.len() - decimals;
    let mut out = String::with_capacity(digits.len() + 1);
    for (i, &d) in digits.iter().enumerate() {
        if i == point {
            out.push('.');
        }
        out.push(char::from(d));
    }
    out
}

/// The first `precision` significant digits of `value` (positive, finite), correctly rounded, and
/// the decimal exponent of the first: what `format!("{:.*e}", precision - 1, value)` shows.
/// `None` where [`Exact`] cannot hold the value or the digits pass 10^38.
fn scientific(value: f64, precision: usize) -> Option<(Vec<u8>, i64)> {
    let exact = Exact::new(value)?;
    let mut exponent = exact.leading_exponent()?;
    let precision = u32::try_from(precision).ok()?;
    let mut scaled = exact.scaled(i64::from(precision) - 1 - exponent)?;
    // Rounding up can carry into a new digit (9.995 -> 10.00): one digit fewer then.
    if scaled >= 10u128.checked_pow(precision)? {
        scaled /= 10;
        exponent += 1;
    }
    Some((decimal_digits(scaled), exponent))
}

/// The decimal digits of `n`, most significant first.
fn decimal_digits(mut n: u128) -> Vec<u8> {
    let mut digits = Vec::new();
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    digits
}

/// A non-negative f64 split exactly into its integer part and a binary fraction `frac / 2^shift`.
///
/// The sizes and percentages the lab prints are rounded from these with integer arithmetic, not
/// with `{:.1}` or `{:e}`: Rust's float formatting (Grisu, Dragon and their tables) was the biggest
/// piece of the standard library in the page's bundle, and nothing else needs it.
struct Exact {
    int: u128,
    frac: u128,
    shift: u32,
}

impl Exact {
    /// `None` for values it cannot hold: negative, not finite, 2^128 or more, or with binary digits
    /// below 2^-124 (far smaller than any size or percentage the lab shows).
    fn new(value: f64) -> Option<Exact> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        let bits = value.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let low = u128::from(bits & ((1u64 << 52) - 1));
        let (mut mantissa, mut exp) = if biased == 0 {
            (low, -1074)
        } else {
            (low | 1 << 52, biased - 1075)
        };
        if mantissa == 0 {
            return Some(Exact {
                int: 0,
                frac: 0,
                shift: 0,
            });
        }
        let zeros = mantissa.trailing_zeros();
        mantissa >>= zeros;
        exp += zeros as i32;
        if exp >= 0 {
            // The mantissa has at most 53 bits.
            let exp = u32::try_from(exp).ok().filter(|&e| e <= 75)?;
            return Some(Exact {
                int: mantissa << exp,
                frac: 0,
                shift: 0,
            });
        }
        let shift = exp.unsigned_abs();
        if shift > 124 {
            return None;
        }
        Some(Exact {
            int: mantissa >> shift,
            frac: mantissa & ((1u128 << shift) - 1),
            shift,
        })
    }

    /// The decimal exponent of the first non-zero digit; `None` for zero.
    fn leading_exponent(&self) -> Option<i64> {
        if self.int > 0 {
            return Some(i64::from(self.int.ilog10()));
        }
        if self.frac == 0 {
            return None;
        }
        let mut frac = self.frac;
        let mut exponent = -1;
        loop {
            frac *= 10;
            if frac >> self.shift > 0 {
                return Some(exponent);
            }
            exponent -= 1;
        }
    }

    /// `self * 10^scale` rounded to an integer, ties to even (as Rust and Go round when they
    /// print); `None` if that passes u128.
    fn scaled(&self, scale: i64) -> Option<u128> {
        let mask = (1u128 << self.shift) - 1;
        let half = if self.shift == 0 {
            0
        } else {
            1u128 << (self.shift - 1)
        };
        if scale < 0 {
            let divisor = 10u128.checked_pow(u32::try_from(scale.unsigned_abs()).ok()?)?;
            let (q, r) = (self.int / divisor, self.int % divisor);
            let twice = r * 2;
            let up = twice > divisor || (twice == divisor && (self.frac != 0 || q % 2 == 1));
            return Some(q + u128::from(up));
        }
        let mut q = self.int;
        let mut frac = self.frac;
        for _ in 0..scale {
            // frac < 2^124, so ten times it still fits.
            frac *= 10;
            q = q.checked_mul(10)?.checked_add(frac >> self.shift)?;
            frac &= mask;
        }
        let up = frac > half || (frac == half && frac != 0 && q % 2 == 1);
        q.checked_add(u128::from(up))
    }
}

/// go-units `HumanDuration`: how Docker says how long ago something happened.
///
/// Negative durations (a clock that went backwards) read as "Less than a second", as in Go.
pub fn human_duration(seconds: i64) -> String {
    if seconds < 1 {
        return "Less than a second".to_string();
    }
    if seconds == 1 {
        return "1 second".to_string();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".to_string();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // Go rounds to the nearest hour here (halves away from zero), but not in the year branch.
    let hours = (seconds + 1800) / 3600;
    if hours == 1 {
        return "About an hour".to_string();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", seconds / 3600 / 24 / 365)
}

/// `"<duration> ago"`, as the `CREATED` columns print it.
pub fn ago(now: i64, then: i64) -> String {
    format!("{} ago", human_duration(now.saturating_sub(then)))
}

/// Docker's `formatter.Ellipsis`: keep `max - 1` characters and add `…` when `text` is longer
/// than `max` characters.
///
/// Docker measures non-ASCII text in terminal cells (go-runewidth); this counts characters, which
/// agrees for everything but wide (CJK, emoji) characters.
pub fn ellipsis(text: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Go's `strconv.Quote`: double quotes, with `"`, `\` and control characters escaped.
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Docker's `stringid.TruncateID`: drop an algorithm prefix such as `sha256:` and keep at most 12
/// characters.
pub fn truncate_id(id: &str) -> String {
    let bare = id.split_once(':').map_or(id, |(_, rest)| rest);
    bare.chars().take(12).collect()
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`): a handful
/// of integer operations instead of a date crate for the two formats Docker prints.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn split_time(seconds: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// RFC 3339 in UTC (`2024-01-01T00:00:00Z`), as `history -H=false` prints `CREATED AT`.
pub fn rfc3339(seconds: i64) -> String {
    let (y, mo, d, h, mi, s) = split_time(seconds);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Go's `time.Time.String()` in UTC (`2024-01-01 00:00:00 +0000 UTC`), as `ps --format
/// '{{.CreatedAt}}'` prints it.
pub fn go_time(seconds: i64) -> String {
    let (y, mo, d, h, mi, s) = split_time(seconds);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} +0000 UTC")
}

/// The daemon's `Command` field: the program, then its arguments, each one that contains a space
/// wrapped in single quotes (moby `daemon/list.go`), so nginx shows as `nginx -g 'daemon off;'`.
pub fn command_text(argv: &[String]) -> String {
    argv.iter()
        .enumerate()
        .map(|(i, a)| {
            if i > 0 && a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sizes_match_go_units() {
        let cases: &[(u64, &str)] = &[
            (0, "0B"),
            (5, "5B"),
            (24, "24B"),
            (58, "58B"),
            (999, "999B"),
            (1000, "1kB"),
            (1024, "1.02kB"),
            (1500, "1.5kB"),
            (100_000, "100kB"),
            (1_048_654, "1.05MB"),
            (1_048_576, "1.05MB"),
            (5_243_000, "5.24MB"),
            (1_983_567, "1.98MB"),
            (7_227_443, "7.23MB"),
            (8_276_097, "8.28MB"),
            (7_750_000, "7.75MB"),
            (999_499_999, "999MB"),
            (999_500_000, "1e+03MB"),
            (999_990_000, "1e+03MB"),
            (1_000_000_000, "1GB"),
            (1_440_000_000, "1.44GB"),
            (2_000_000_000_000, "2TB"),
        ];
        for &(bytes, want) in cases {
            assert_eq!(human_size(bytes), want, "{bytes} bytes");
        }
    }

    #[test]
    fn four_digit_sizes_match_system_df() {
        let cases: &[(u64, &str)] = &[
            (0, "0B"),
            (7_227_443, "7.227MB"),
            (1_048_654, "1.049MB"),
            (1_984_000, "1.984MB"),
            (5_243_443, "5.243MB"),
            // Four digits leave room for 1000, so Go stays in plain notation here.
            (999_950_000, "1000MB"),
            (413_900_000, "413.9MB"),
            (44_080_000_000, "44.08GB"),
        ];
        for &(bytes, want) in cases {
            assert_eq!(human_size_precision(bytes, 4), want, "{bytes} bytes");
        }
    }

    #[test]
    fn go_g_format_layout() {
        assert_eq!(go_format_g(2.5, 1), "2");
        assert_eq!(go_format_g(3.5, 1), "4");
        assert_eq!(go_format_g(100.0, 3), "100");
        assert_eq!(go_format_g(12345.0, 3), "1.23e+04");
        assert_eq!(go_format_g(0.00001234, 3), "1.23e-05");
        assert_eq!(go_format_g(0.5, 3), "0.5");
        assert_eq!(go_format_g(1.0, 0), "1");
    }

    #[test]
    fn scientific_digits_round_ties_to_even() {
        assert_eq!(scientific(2.5, 1), Some((b"2".to_vec(), 0)));
        assert_eq!(scientific(999.5, 3), Some((b"100".to_vec(), 3)));
        assert_eq!(scientific(0.125, 2), Some((b"12".to_vec(), -1)));
        assert_eq!(scientific(1e300, 3), None);
    }

    #[test]
    fn fixed_matches_rust_formatting_on_ties_and_edges() {
        for &(value, decimals) in &[
            (0.25, 1),
            (0.35, 1),
            (2.5, 0),
            (3.5, 0),
            (0.05, 1),
            (99.95, 1),
            (0.0, 1),
            (7.0, 0),
        ] {
            let want = format!("{value:.*}", decimals as usize);
            assert_eq!(fixed(value, decimals), want, "{value} to {decimals}");
        }
    }

    #[test]
    fn durations_match_go_units() {
        let cases: &[(i64, &str)] = &[
            (-5, "Less than a second"),
            (0, "Less than a second"),
            (1, "1 second"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (119, "About a minute"),
            (120, "2 minutes"),
            (3599, "59 minutes"),
            (3600, "About an hour"),
            (5399, "About an hour"),
            (5400, "2 hours"),
            (47 * 3600, "47 hours"),
            (48 * 3600, "2 days"),
            (13 * 86_400, "13 days"),
            (14 * 86_400, "2 weeks"),
            (59 * 86_400, "8 weeks"),
            (60 * 86_400, "2 months"),
            (729 * 86_400, "24 months"),
            (730 * 86_400, "2 years"),
            (3 * 365 * 86_400, "3 years"),
        ];
        for &(secs, want) in cases {
            assert_eq!(human_duration(secs), want, "{secs} s");
        }
        assert_eq!(ago(1000, 700), "5 minutes ago");
    }

    #[test]
    fn ellipsis_cuts_like_docker() {
        assert_eq!(ellipsis("nginx -g 'daemon off;'", 20), "nginx -g 'daemon of…");
        assert_eq!(ellipsis("sleep 3600", 20), "sleep 3600");
        assert_eq!(ellipsis("12345678901234567890", 20), "12345678901234567890");
        assert_eq!(
            ellipsis("/bin/sh -c rm -rf /etc/demo.d && mkdir /etc/demo.d && echo", 45),
            "/bin/sh -c rm -rf /etc/demo.d && mkdir /etc/…"
        );
        assert_eq!(ellipsis("abc", 0), "");
        assert_eq!(ellipsis("abc", 1), "…");
    }

    #[test]
    fn quoting_matches_strconv_quote() {
        assert_eq!(go_quote("sleep 3600"), "\"sleep 3600\"");
        assert_eq!(go_quote("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(go_quote("a\u{1}b"), "\"a\\x01b\"");
        assert_eq!(go_quote("daemon of…"), "\"daemon of…\"");
    }

    #[test]
    fn ids_are_cut_to_twelve() {
        assert_eq!(
            truncate_id("sha256:9bc4736f746650153528fe960013c1baa615a385e00473a91d7e256e3d88021f"),
            "9bc4736f7466"
        );
        assert_eq!(truncate_id("f603622e49a1aaaa"), "f603622e49a1");
        assert_eq!(truncate_id("<missing>"), "<missing>");
    }

    #[test]
    fn times_format_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_067_200), "2024-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(go_time(1_704_067_261), "2024-01-01 00:01:01 +0000 UTC");
    }

    proptest! {
        #[test]
        fn any_size_formats_without_panicking(bytes in any::<u64>(), precision in 0usize..20) {
            let s = human_size_precision(bytes, precision);
            prop_assert!(s.ends_with('B'));
        }

        #[test]
        fn scientific_matches_rust_formatting(
            value in prop_oneof![0.0f64..1000.0, 0.0f64..1e19, 1e-30f64..1e-3],
            precision in 1usize..30,
        ) {
            prop_assume!(value > 0.0);
            let want = format!("{:.*e}", precision - 1, value);
            let (mantissa, exponent) = want.split_once('e').unwrap();
            let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
            prop_assert_eq!(scientific(value, precision), Some((digits, exponent.parse().unwrap())));
        }

        #[test]
        fn fixed_matches_rust_formatting(
            value in prop_oneof![0.0f64..100.0, 0.0f64..1.8e19],
            decimals in 0u32..4,
        ) {
            prop_assert_eq!(fixed(value, decimals), format!("{value:.*}", decimals as usize));
        }

        #[test]
        fn any_duration_and_time_formats(secs in any::<i64>()) {
            prop_assert!(!human_duration(secs).is_empty());
            prop_assert!(rfc3339(secs).ends_with('Z'));
            prop_assert!(go_time(secs).ends_with("UTC"));
        }

        #[test]
        fn ellipsis_never_exceeds_max(text in ".*", max in 0usize..60) {
            prop_assert!(ellipsis(&text, max).chars().count() <= max);
        }
    }
}
