//! Pagination, for every List operation of KMS and Service Quotas: one page
//! of a listing, and the opaque marker (KMS `Marker`, Service Quotas
//! `NextToken`) that says where the next page starts, checked on the way back.
//!
//! Two ways to cut pages: by key ([`keyed_page`], [`next_marker`]) when the
//! listing is ordered by a unique key (key ids, alias names, tag keys), so a
//! page boundary survives items added or removed meanwhile; by offset
//! ([`offset_page`]) for listings that are built whole per call and have no
//! such key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::wire::validate::Validator;

/// Which API a marker belongs to: they differ in the member's alphabet and
/// in the error a bad one gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokens {
    /// KMS `Marker` / `NextMarker`: URL-safe base64; InvalidMarkerException.
    KmsMarker,
    /// Service Quotas `NextToken`: standard base64 (the model's
    /// `^[a-zA-Z0-9/+]*={0,2}$`); InvalidPaginationTokenException.
    ServiceQuotasToken,
}

impl Tokens {
    fn invalid(self) -> KmsError {
        match self {
            Tokens::KmsMarker => KmsError::new(ErrorKind::InvalidMarker, "Invalid marker"),
            Tokens::ServiceQuotasToken => {
                KmsError::new(ErrorKind::ServiceQuotasInvalidPaginationToken, "Invalid pagination token")
            }
        }
    }

    /// Encodes the position `after` as a marker.
    pub fn encode(self, after: &str) -> String {
        let text = format!("trent1:{after}");
        match self {
            Tokens::KmsMarker => URL_SAFE_NO_PAD.encode(text),
            Tokens::ServiceQuotasToken => STANDARD.encode(text),
        }
    }

    /// Decodes a marker into the position it names; a marker Trent did not
    /// make is this API's invalid-marker error. An empty Service Quotas token
    /// means "from the start", as the SDKs send it.
    pub fn decode(self, marker: Option<&str>) -> KmsResult<Option<String>> {
        let Some(m) = marker else { return Ok(None) };
        if m.is_empty() && self == Tokens::ServiceQuotasToken {
            return Ok(None);
        }
        let raw = match self {
            Tokens::KmsMarker => URL_SAFE_NO_PAD.decode(m.as_bytes()),
            Tokens::ServiceQuotasToken => STANDARD.decode(m.as_bytes()),
        }
        .map_err(|_| self.invalid())?;
        let s = String::from_utf8(raw).map_err(|_| self.invalid())?;
        s.strip_prefix("trent1:").map(|v| Some(v.to_owned())).ok_or_else(|| self.invalid())
    }
}

/// Encodes the position after `last` as a KMS marker.
pub fn encode(last: &str) -> String {
    Tokens::KmsMarker.encode(last)
}

/// Decodes a KMS marker, or InvalidMarkerException.
pub fn decode(marker: Option<&str>) -> KmsResult<Option<String>> {
    Tokens::KmsMarker.decode(marker)
}

/// Validates the `Limit` and `Marker` members of a KMS List operation.
pub fn validate(v: &mut Validator, limit: Option<i64>, marker: Option<&str>) {
    v.int_range("limit", limit, 1, 1000);
    v.str_len("marker", marker, 1, 1024);
    v.pattern("marker", marker, "[\\u0020-\\u00FF]*", |s| s.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c)));
}

/// Validates the `NextToken` and `MaxResults` members of a Service Quotas
/// List operation (the model's pattern `^[a-zA-Z0-9/+]*={0,2}$`, 1–100 results).
pub fn validate_next_token(v: &mut Validator, next_token: Option<&str>, max_results: Option<i64>) {
    v.str_len("nextToken", next_token, 0, 2048)
        .pattern("nextToken", next_token, "^[a-zA-Z0-9/+]*={0,2}$", |s| {
            let body = s.trim_end_matches('=');
            s.len() - body.len() <= 2 && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+')
        })
        .int_range("maxResults", max_results, 1, 100);
}

/// A page size from a request's `Limit` (validated to 1..=1000 already):
/// `default` when absent, at most `max` (the service's own page cap).
pub fn page_size(limit: Option<i64>, default: usize, max: usize) -> usize {
    limit.and_then(|n| usize::try_from(n).ok()).unwrap_or(default).clamp(1, max)
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_marker: Option<String>,
    /// Whether more items follow (KMS's `Truncated`).
    pub truncated: bool,
}

/// The marker after the last of `items` when more follow, for listings
/// ordered by `key` (a store's keyset page).
pub fn next_marker<T>(items: &[T], truncated: bool, key: impl Fn(&T) -> &str) -> Option<String> {
    if truncated { items.last().map(|t| encode(key(t))) } else { None }
}

/// One page of an in-memory listing ordered by the unique `key`: the items
/// after the position `marker` names, at most `limit` of them.
pub fn keyed_page<T>(
    items: Vec<T>,
    marker: Option<&str>,
    limit: usize,
    key: impl Fn(&T) -> &str,
) -> KmsResult<Page<T>> {
    let after = decode(marker)?;
    let mut page: Vec<T> = match after.as_deref() {
        Some(a) => items.into_iter().filter(|t| key(t) > a).take(limit + 1).collect(),
        None => items.into_iter().take(limit + 1).collect(),
    };
    let truncated = page.len() > limit;
    page.truncate(limit);
    let next_marker = next_marker(&page, truncated, key);
    Ok(Page { items: page, next_marker, truncated })
}

/// One page of an in-memory listing with offset markers of `tokens`' kind:
/// the items after the position a marker names, at most `limit` of them. A
/// marker past the end is invalid.
pub fn offset_page<T>(items: Vec<T>, marker: Option<&str>, limit: usize, tokens: Tokens) -> KmsResult<Page<T>> {
    let start: usize = match tokens.decode(marker)? {
        Some(s) => s.parse().map_err(|_| tokens.invalid())?,
        None => 0,
    };
    // Service Quotas refuses a token past the end; a KMS marker past the end
    // (items removed between pages) gives an empty last page.
    if start > items.len() && tokens == Tokens::ServiceQuotasToken {
        return Err(tokens.invalid());
    }
    let mut page: Vec<T> = items.into_iter().skip(start).take(limit + 1).collect();
    let truncated = page.len() > limit;
    page.truncate(limit);
    let next_marker = truncated.then(|| tokens.encode(&(start + limit).to_string()));
    Ok(Page { items: page, next_marker, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_pages_walk_the_whole_listing_once() {
        let items: Vec<u32> = (0..7).collect();
        let p1 = offset_page(items.clone(), None, 3, Tokens::KmsMarker).expect("page 1");
        assert_eq!((p1.items, p1.truncated), (vec![0, 1, 2], true));
        let p2 = offset_page(items.clone(), p1.next_marker.as_deref(), 3, Tokens::KmsMarker).expect("page 2");
        assert_eq!((p2.items, p2.truncated), (vec![3, 4, 5], true));
        let p3 = offset_page(items.clone(), p2.next_marker.as_deref(), 3, Tokens::KmsMarker).expect("page 3");
        assert_eq!((p3.items, p3.next_marker, p3.truncated), (vec![6], None, false));
        let e = offset_page(items, Some(&encode("x")), 3, Tokens::KmsMarker).expect_err("not an offset");
        assert_eq!(e.kind, ErrorKind::InvalidMarker);
    }

    #[test]
    fn service_quotas_tokens_fit_the_model_and_have_their_own_error() {
        let items: Vec<u32> = (0..7).collect();
        let p1 = offset_page(items.clone(), None, 3, Tokens::ServiceQuotasToken).expect("page");
        let t1 = p1.next_marker.expect("more");
        assert!(t1.chars().all(|c| c.is_ascii_alphanumeric() || "/+=".contains(c)));
        let all = offset_page(items.clone(), Some(""), 100, Tokens::ServiceQuotasToken).expect("empty token");
        assert_eq!((all.items.len(), all.next_marker), (7, None));
        for t in ["nope", "dHJlbnQxOng=", "dHJlbnQxOjk5"] {
            let e = offset_page(items.clone(), Some(t), 3, Tokens::ServiceQuotasToken).expect_err(t);
            assert_eq!(e.kind.aws_type(), "InvalidPaginationTokenException");
        }
    }

    #[test]
    fn keyed_pages_start_after_the_marker_key() {
        let items = vec!["a", "b", "c", "d"];
        let p1 = keyed_page(items.clone(), None, 2, |s| s).expect("page 1");
        assert_eq!((p1.items.clone(), p1.truncated), (vec!["a", "b"], true));
        let p2 = keyed_page(items.clone(), p1.next_marker.as_deref(), 2, |s| s).expect("page 2");
        assert_eq!((p2.items, p2.next_marker, p2.truncated), (vec!["c", "d"], None, false));
        assert_eq!(page_size(None, 50, 100), 50);
        assert_eq!(page_size(Some(1000), 50, 100), 100);
    }
}
