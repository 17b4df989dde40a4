//! Request validation with AWS's wording.
//!
//! AWS reports every model-constraint violation of a request at once:
//! `2 validation errors detected: Value null at 'keyId' failed to satisfy
//! constraint: Member must not be null; Value '0' at 'numberOfBytes' ...`.
//! [`Validator`] collects violations in that form; member paths are the
//! lowerCamelCase member names AWS uses.

use crate::error::{KmsError, KmsResult};
use crate::key::encryption_context::EncryptionContext;

/// Collects constraint violations of one request.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<String>,
}

fn quote(v: &str) -> String {
    format!("'{v}'")
}

impl Validator {
    /// A validator with no violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, value: Option<String>, path: &str, constraint: &str) {
        let value = match value {
            Some(v) => format!("Value {v} at"),
            None => "Value at".to_owned(),
        };
        self.errors.push(format!("{value} '{path}' failed to satisfy constraint: {constraint}"));
    }

    /// A required member is missing.
    pub fn required<T>(&mut self, path: &str, v: &Option<T>) -> &mut Self {
        if v.is_none() {
            self.push(Some("null".into()), path, "Member must not be null");
        }
        self
    }

    /// String length bounds (counted in characters, as AWS does).
    pub fn str_len(&mut self, path: &str, v: Option<&str>, min: usize, max: usize) -> &mut Self {
        if let Some(s) = v {
            let n = s.chars().count();
            if n < min {
                self.push(Some(quote(s)), path, &format!("Member must have length greater than or equal to {min}"));
            } else if n > max {
                self.push(Some(quote(s)), path, &format!("Member must have length less than or equal to {max}"));
            }
        }
        self
    }

    /// Blob length bounds; the value is never echoed (blobs may be secret).
    pub fn blob_len(&mut self, path: &str, v: Option<&[u8]>, min: usize, max: usize) -> &mut Self {
        if let Some(b) = v {
            if b.len() < min {
                self.push(None, path, &format!("Member must have length greater than or equal to {min}"));
            } else if b.len() > max {
                self.push(None, path, &format!("Member must have length less than or equal to {max}"));
            }
        }
        self
    }

    /// Integer range.
    pub fn int_range(&mut self, path: &str, v: Option<i64>, min: i64, max: i64) -> &mut Self {
        if let Some(n) = v {
            if n < min {
                self.push(
                    Some(quote(&n.to_string())),
                    path,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            } else if n > max {
                self.push(
                    Some(quote(&n.to_string())),
                    path,
                    &format!("Member must have value less than or equal to {max}"),
                );
            }
        }
        self
    }

    /// A list's length bounds.
    pub fn list_len<T>(&mut self, path: &str, v: Option<&[T]>, min: usize, max: usize) -> &mut Self {
        if let Some(l) = v {
            if l.len() < min {
                self.push(None, path, &format!("Member must have length greater than or equal to {min}"));
            } else if l.len() > max {
                self.push(None, path, &format!("Member must have length less than or equal to {max}"));
            }
        }
        self
    }

    /// A regular-expression constraint; `ok` says whether the value matches `pattern`.
    pub fn pattern(&mut self, path: &str, v: Option<&str>, pattern: &str, ok: impl Fn(&str) -> bool) -> &mut Self {
        if let Some(s) = v
            && !ok(s)
        {
            self.push(Some(quote(s)), path, &format!("Member must satisfy regular expression pattern: {pattern}"));
        }
        self
    }

    /// An enum constraint; `known` lists the allowed values as AWS prints them (`[A, B]`).
    pub fn enum_value(&mut self, path: &str, v: Option<&str>, valid: bool, known: &str) -> &mut Self {
        if let Some(s) = v
            && !valid
        {
            self.push(Some(quote(s)), path, &format!("Member must satisfy enum value set: {known}"));
        }
        self
    }

    /// Grant tokens: 0–10 items of 1–8192 characters.
    pub fn grant_tokens(&mut self, v: Option<&[String]>) -> &mut Self {
        self.list_len("grantTokens", v, 0, 10);
        if let Some(list) = v {
            for (i, t) in list.iter().enumerate() {
                let n = t.chars().count();
                if n < 1 {
                    self.push(
                        None,
                        &format!("grantTokens.{}.member", i + 1),
                        "Member must have length greater than or equal to 1",
                    );
                } else if n > 8192 {
                    self.push(
                        None,
                        &format!("grantTokens.{}.member", i + 1),
                        "Member must have length less than or equal to 8192",
                    );
                }
            }
        }
        self
    }

    /// `KeyId`-typed members: 1–2048 characters.
    pub fn key_id(&mut self, path: &str, v: Option<&str>, required: bool) -> &mut Self {
        if required && v.is_none() {
            self.push(Some("null".into()), path, "Member must not be null");
        }
        self.str_len(path, v, 1, 2048)
    }

    /// Adds a violation worded by the caller.
    pub fn custom(&mut self, message: String) -> &mut Self {
        self.errors.push(message);
        self
    }

    /// `Ok` if nothing was violated, else the ValidationException AWS would send.
    pub fn finish(&mut self) -> KmsResult<()> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(KmsError::validation(format!("1 validation error detected: {}", self.errors[0]))),
            n => Err(KmsError::validation(format!("{n} validation errors detected: {}", self.errors.join("; ")))),
        }
    }
}

/// Checks an encryption context. The model puts no constraint on it, but the
/// context becomes AAD in a canonical form with 16-bit counts and lengths, so
/// a pair count, key or value that does not fit is refused, in the words AWS
/// uses for a context it refuses, rather than truncated into an ambiguous encoding.
pub fn encryption_context(ctx: Option<&EncryptionContext>) -> KmsResult<()> {
    let Some(ctx) = ctx else { return Ok(()) };
    let max = usize::from(u16::MAX);
    if ctx.len() > max || ctx.iter().any(|(k, v)| k.len() > max || v.len() > max) {
        return Err(KmsError::validation("Invalid EncryptionContext"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_wording() {
        let e = Validator::new().required::<u8>("keyId", &None).finish().unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
            )
        );
        let e = Validator::new()
            .int_range("numberOfBytes", Some(0), 1, 1024)
            .blob_len("plaintext", Some(&[0u8; 4097]), 1, 4096)
            .finish()
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "2 validation errors detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1; Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
            )
        );
        assert!(Validator::new().str_len("description", Some("ok"), 0, 8192).finish().is_ok());
    }

    #[test]
    fn encryption_context_must_fit_the_aad_encoding() {
        let mut ctx = EncryptionContext::new();
        ctx.insert("k".repeat(65_535), "v".repeat(65_535));
        assert!(encryption_context(Some(&ctx)).is_ok());
        ctx.insert("k".repeat(65_536), String::new());
        let e = encryption_context(Some(&ctx)).expect_err("a 65,536-byte key does not fit");
        assert_eq!(e.message.as_deref(), Some("Invalid EncryptionContext"));
        assert!(encryption_context(None).is_ok());
    }
}
