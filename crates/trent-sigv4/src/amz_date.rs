//! ISO-8601 "basic format" timestamps (`20150830T123600Z`), the only date
//! format SigV4 signs with, converted to and from epoch seconds without a
//! date-time crate: the verifier parses one per request, strictly and without
//! allocating, and the signer formats one per signature; the civil-date
//! arithmetic is a dozen lines, written once here for both.

use std::time::{SystemTime, UNIX_EPOCH};

/// Length of `YYYYMMDDTHHMMSSZ`, the only length [`parse_basic`] accepts.
pub const BASIC_LEN: usize = 16;

/// Parses `YYYYMMDDTHHMMSSZ` into epoch seconds, so a verifier can compare a
/// request's date with its clock; `None` for anything else, including
/// impossible dates such as `20230230T000000Z`.
pub fn parse_basic(s: &[u8]) -> Option<i64> {
    if s.len() != BASIC_LEN || s[8] != b'T' || s[15] != b'Z' {
        return None;
    }
    let year = digits(&s[0..4])?;
    let month = digits(&s[4..6])?;
    let day = digits(&s[6..8])?;
    let hour = digits(&s[9..11])?;
    let minute = digits(&s[11..13])?;
    let second = digits(&s[13..15])?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Formats epoch seconds as `YYYYMMDDTHHMMSSZ`: the signer's `X-Amz-Date`, and the
/// times the verifier's clock-skew errors quote.
pub fn format_basic(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3_600, (secs % 3_600) / 60, secs % 60)
}

/// Whole seconds since the epoch (negative before 1970), never panicking: the
/// unit [`parse_basic`] and [`format_basic`] work in.
pub fn epoch_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            // Round towards negative infinity so sub-second times stay ordered.
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 { -whole.saturating_add(1) } else { -whole }
        }
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    s.iter().try_fold(0i64, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0')))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_known_dates() {
        assert_eq!(parse_basic(b"19700101T000000Z"), Some(0));
        assert_eq!(parse_basic(b"20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_basic(b"20240229T235959Z"), Some(1_709_251_199));
        assert_eq!(format_basic(1_440_938_160), "20150830T123600Z");
        assert_eq!(format_basic(1_709_251_199), "20240229T235959Z");
        assert_eq!(format_basic(-1), "19691231T235959Z");
        for t in (-86_400 * 800..86_400 * 365 * 300).step_by(86_400 * 7 + 3_601) {
            assert_eq!(parse_basic(format_basic(t).as_bytes()), Some(t), "{t}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015083OT123600Z",
            "20230229T000000Z",
            "20231301T000000Z",
            "20231200T000000Z",
            "20231201T240000Z",
            "20231201T006000Z",
            "20231201T000060Z",
            "+0150830T123600Z",
            "Sun, 30 Aug 2015 12:36:00 GMT",
        ] {
            assert_eq!(parse_basic(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn epoch_seconds_handles_pre_epoch() {
        assert_eq!(epoch_seconds(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
        assert_eq!(epoch_seconds(UNIX_EPOCH - Duration::from_millis(1_500)), -2);
        assert_eq!(epoch_seconds(UNIX_EPOCH - Duration::from_secs(3)), -3);
    }
}
