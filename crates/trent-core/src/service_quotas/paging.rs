//! `NextToken` / `MaxResults` pagination for the Service Quotas list operations.
//!
//! Tokens are opaque to clients: base64 of a version tag and an offset, which
//! fits the model's `^[a-zA-Z0-9/+]*={0,2}$` pattern.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::{ErrorKind, KmsError, KmsResult};

/// Page size when `MaxResults` is absent (the model's maximum).
pub(crate) const DEFAULT_MAX_RESULTS: usize = 100;

fn encode(offset: usize) -> String {
    STANDARD.encode(format!("trent1:{offset}"))
}

fn invalid() -> KmsError {
    KmsError::new(ErrorKind::ServiceQuotasInvalidPaginationToken, "Invalid pagination token")
}

fn decode(token: &str) -> KmsResult<usize> {
    let raw = STANDARD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(raw).map_err(|_| invalid())?;
    text.strip_prefix("trent1:").and_then(|n| n.parse().ok()).ok_or_else(invalid)
}

/// One page of `items` (already validated: `max_results` in 1..=100).
pub(crate) fn page<T>(
    items: Vec<T>,
    next_token: Option<&str>,
    max_results: Option<i64>,
) -> KmsResult<(Vec<T>, Option<String>)> {
    let start = match next_token {
        None | Some("") => 0,
        Some(t) => decode(t)?,
    };
    if start > items.len() {
        return Err(invalid());
    }
    let size = max_results.and_then(|n| usize::try_from(n).ok()).unwrap_or(DEFAULT_MAX_RESULTS).max(1);
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| encode(end));
    let page = items.into_iter().skip(start).take(end - start).collect();
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_everything_once() {
        let items: Vec<u32> = (0..7).collect();
        let (p1, t1) = page(items.clone(), None, Some(3)).expect("page");
        assert_eq!(p1, vec![0, 1, 2]);
        let t1 = t1.expect("more");
        assert!(t1.chars().all(|c| c.is_ascii_alphanumeric() || "/+=".contains(c)));
        let (p2, t2) = page(items.clone(), Some(&t1), Some(3)).expect("page");
        assert_eq!(p2, vec![3, 4, 5]);
        let (p3, t3) = page(items.clone(), t2.as_deref(), Some(3)).expect("page");
        assert_eq!(p3, vec![6]);
        assert!(t3.is_none());
        let (all, none) = page(items, Some(""), None).expect("page");
        assert_eq!(all.len(), 7);
        assert!(none.is_none());
    }

    #[test]
    fn bad_tokens_are_refused() {
        for t in ["nope", "dHJlbnQxOng=", "dHJlbnQxOjk5"] {
            let e = page(vec![1, 2, 3], Some(t), None).expect_err(t);
            assert_eq!(e.kind.aws_type(), "InvalidPaginationTokenException");
        }
    }
}
