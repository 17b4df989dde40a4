//! Parsers for the typed condition values: numbers (`Numeric*`), dates
//! (`Date*`) and IP ranges (`IpAddress`, `NotIpAddress`).
//!
//! Policy values go through these once, at parse time (an unparsable one makes
//! the policy malformed); request values go through them at evaluation (an
//! unparsable one simply matches nothing).

use std::net::IpAddr;

/// Parses a decimal number: optional sign, digits with an optional fraction,
/// optional exponent. Rejects `NaN`, `inf` and other forms Rust's float parser
/// would take but IAM would not.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parses a date as IAM's `Date*` operators accept it, into milliseconds since
/// the Unix epoch: an integer count of epoch seconds, or ISO 8601
/// `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM|±HHMM]` (no zone means UTC).
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let mut p = Cursor { b, i: 0 };
    let year = p.digits(4)?;
    p.expect(b'-')?;
    let month = p.digits(2)?;
    p.expect(b'-')?;
    let day = p.digits(2)?;
    let date = calendar_date(year, month, day)?;
    let mut millis_of_day = 0i64;
    let mut offset_minutes = 0i64;
    if p.peek().is_some() {
        if !matches!(p.next()?, b'T' | b't') {
            return None;
        }
        let hour = p.digits(2)?;
        p.expect(b':')?;
        let minute = p.digits(2)?;
        let mut second = 0;
        let mut millis = 0;
        if p.peek() == Some(b':') {
            p.next()?;
            second = p.digits(2)?;
            if p.peek() == Some(b'.') {
                p.next()?;
                let start = p.i;
                let mut scale = 100;
                while let Some(d) = p.peek().filter(u8::is_ascii_digit) {
                    p.next()?;
                    millis += i64::from(d - b'0') * scale;
                    scale /= 10;
                }
                if p.i == start {
                    return None;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        millis_of_day = ((hour * 60 + minute) * 60 + second) * 1000 + millis;
        match p.next() {
            None => {}
            Some(b'Z' | b'z') => {}
            Some(sign @ (b'+' | b'-')) => {
                let oh = p.digits(2)?;
                if p.peek() == Some(b':') {
                    p.next()?;
                }
                let om = p.digits(2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                offset_minutes = (oh * 60 + om) * if sign == b'-' { -1 } else { 1 };
            }
            Some(_) => return None,
        }
        if p.peek().is_some() {
            return None;
        }
    }
    let days = i64::from(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY);
    Some(days * 86_400_000 + millis_of_day - offset_minutes * 60_000)
}

/// A byte cursor for [`parse_date`].
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v = 0i64;
        for _ in 0..n {
            let d = self.next().filter(u8::is_ascii_digit)?;
            v = v * 10 + i64::from(d - b'0');
        }
        Some(v)
    }
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// A valid proleptic Gregorian date (day within its month, leap years), or `None`.
fn calendar_date(year: i64, month: i64, day: i64) -> Option<time::Date> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

/// An IPv4 or IPv6 network in CIDR form; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    /// The network address, IPv4 in the low 32 bits.
    bits: u128,
    /// Whether this is an IPv6 network.
    v6: bool,
    /// The prefix length.
    prefix: u32,
}

impl Cidr {
    /// Parses `a.b.c.d[/n]` or `x:…:y[/n]`.
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => (a, Some(p.parse::<u32>().ok()?)),
            Some(_) => return None,
            None => (s, None),
        };
        let (bits, v6) = ip_bits(addr.parse().ok()?);
        let width = if v6 { 128 } else { 32 };
        let prefix = prefix.unwrap_or(width);
        (prefix <= width).then_some(Cidr { bits, v6, prefix })
    }

    /// Whether `addr` (a bare address) lies in this network.
    pub(crate) fn contains(&self, addr: &str) -> bool {
        let Ok(ip) = addr.parse::<IpAddr>() else { return false };
        let (bits, v6) = ip_bits(ip);
        if v6 != self.v6 {
            return false;
        }
        let width = if v6 { 128 } else { 32 };
        let shift = width - self.prefix;
        shift >= width || (bits >> shift) == (self.bits >> shift)
    }
}

fn ip_bits(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), false),
        IpAddr::V6(v6) => (u128::from(v6), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_decimal_forms_only() {
        assert_eq!(parse_number("42"), Some(42.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("+.5"), Some(0.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("2."), Some(2.0));
        for bad in ["", "-", ".", "abc", "NaN", "inf", "1e", "1 ", " 1", "0x10", "1e999"] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_in_iso_8601_and_epoch_seconds() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("0"), Some(0));
        assert_eq!(parse_date("1356998400"), parse_date("2013-01-01T00:00:00Z"));
        assert_eq!(parse_date("2000-03-01T00:00:00Z"), Some(951_868_800_000));
        assert_eq!(parse_date("2020-02-29T12:30:15.250Z"), Some(1_582_979_415_250));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), parse_date("2020-01-01T00:00:00Z"));
        assert_eq!(parse_date("2020-01-01T00:00-0130"), parse_date("2020-01-01T01:30:00Z"));
        assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some(-1000));
        assert_eq!(parse_date("2020"), Some(2_020_000), "all digits are epoch seconds");
        for bad in
            ["", "2020-1-01", "2020-13-01", "2019-02-29", "2020-01-01T", "2020-01-01T24:00", "2020-01-01 00:00", "x"]
        {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cidr_membership_for_both_families() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.7"));
        assert!(!net.contains("203.0.114.7"));
        assert!(!net.contains("2001:db8::1"));
        assert!(!net.contains("not an ip"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("198.51.100.1"));
        assert!(Cidr::parse("198.51.100.1").unwrap().contains("198.51.100.1"));
        assert!(!Cidr::parse("198.51.100.1").unwrap().contains("198.51.100.2"));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:ffff::1"));
        assert!(!v6.contains("2001:db9::1"));
        assert!(Cidr::parse("::/0").unwrap().contains("::1"));
        for bad in ["203.0.113.0/33", "203.0.113.0/", "203.0.113/24", "x/8", "::/129", "1.2.3.4/-1"] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
    }
}
