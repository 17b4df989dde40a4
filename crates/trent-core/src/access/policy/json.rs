//! JSON shape helpers and the error constructor shared by the element parsers.

use serde_json::Value;

use crate::error::{ErrorKind, KmsError};

/// The message AWS KMS sends for any principal it cannot accept.
pub(crate) const INVALID_PRINCIPALS: &str = "Policy contains a statement with one or more invalid principals.";

/// A `MalformedPolicyDocumentException` with `message`: every parse error is one.
pub(crate) fn malformed(message: impl Into<String>) -> KmsError {
    KmsError::new(ErrorKind::MalformedPolicyDocument, message)
}

/// IAM's "string or array of strings" shape: one string, or a non-empty array
/// of strings. `None` for anything else, so each element can word its own error.
pub(crate) fn string_or_array(value: &Value) -> Option<Vec<&str>> {
    match value {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) if !items.is_empty() => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// A condition value: a string, boolean or number (as its string form), or a
/// non-empty array of those. `None` for anything else.
pub(crate) fn scalar_or_array(value: &Value) -> Option<Vec<String>> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    match value {
        Value::Array(items) if !items.is_empty() => items.iter().map(scalar).collect(),
        Value::Array(_) => None,
        v => scalar(v).map(|s| vec![s]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_or_array_accepts_only_strings() {
        assert_eq!(string_or_array(&json!("a")), Some(vec!["a"]));
        assert_eq!(string_or_array(&json!(["a", "b"])), Some(vec!["a", "b"]));
        assert_eq!(string_or_array(&json!([])), None);
        assert_eq!(string_or_array(&json!(["a", 1])), None);
        assert_eq!(string_or_array(&json!({"a": "b"})), None);
        assert_eq!(string_or_array(&json!(null)), None);
    }

    #[test]
    fn scalar_or_array_stringifies_booleans_and_numbers() {
        assert_eq!(scalar_or_array(&json!(true)), Some(vec!["true".to_owned()]));
        assert_eq!(scalar_or_array(&json!([1, "x", false])), Some(vec!["1".into(), "x".into(), "false".into()]));
        assert_eq!(scalar_or_array(&json!(2.5)), Some(vec!["2.5".to_owned()]));
        assert_eq!(scalar_or_array(&json!([])), None);
        assert_eq!(scalar_or_array(&json!(null)), None);
        assert_eq!(scalar_or_array(&json!([["nested"]])), None);
        assert_eq!(scalar_or_array(&json!({"k": "v"})), None);
    }
}
