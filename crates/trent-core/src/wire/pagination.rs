//! Pagination markers: opaque to clients, checked on the way back in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::wire::validate::Validator;

/// Encodes the position after `last` as a marker.
pub fn encode(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("trent1:{last}"))
}

/// Decodes a marker, or InvalidMarkerException.
pub fn decode(marker: Option<&str>) -> KmsResult<Option<String>> {
    let Some(m) = marker else { return Ok(None) };
    let bad = || KmsError::new(ErrorKind::InvalidMarker, "Invalid marker");
    let raw = URL_SAFE_NO_PAD.decode(m.as_bytes()).map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    s.strip_prefix("trent1:").map(|v| Some(v.to_owned())).ok_or_else(bad)
}

/// Validates the `Limit` and `Marker` members of a List operation.
pub fn validate(v: &mut Validator, limit: Option<i64>, marker: Option<&str>) {
    v.int_range("limit", limit, 1, 1000);
    v.str_len("marker", marker, 1, 1024);
    v.pattern("marker", marker, "[\\u0020-\\u00FF]*", |s| s.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c)));
}

/// One page of an in-memory listing with offset markers: the items after the
/// position a marker names, at most `limit` of them, the next marker and
/// whether more follow. For listings small enough to build whole per call.
pub fn offset_page<T>(items: Vec<T>, marker: Option<&str>, limit: usize) -> KmsResult<(Vec<T>, Option<String>, bool)> {
    let after: usize = match decode(marker)? {
        Some(s) => s.parse().map_err(|_| KmsError::new(ErrorKind::InvalidMarker, "Invalid marker"))?,
        None => 0,
    };
    let mut page: Vec<T> = items.into_iter().skip(after).take(limit + 1).collect();
    let truncated = page.len() > limit;
    page.truncate(limit);
    Ok((page, truncated.then(|| encode(&(after + limit).to_string())), truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_pages_walk_the_whole_listing_once() {
        let items: Vec<u32> = (0..7).collect();
        let (p1, m1, t1) = offset_page(items.clone(), None, 3).expect("page 1");
        assert_eq!((p1, t1), (vec![0, 1, 2], true));
        let (p2, m2, t2) = offset_page(items.clone(), m1.as_deref(), 3).expect("page 2");
        assert_eq!((p2, t2), (vec![3, 4, 5], true));
        let (p3, m3, t3) = offset_page(items.clone(), m2.as_deref(), 3).expect("page 3");
        assert_eq!((p3, m3, t3), (vec![6], None, false));
        let e = offset_page(items, Some(&encode("x")), 3).expect_err("not an offset");
        assert_eq!(e.kind, ErrorKind::InvalidMarker);
    }
}
