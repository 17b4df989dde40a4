//! Request validation with AWS's wording.
//!
//! AWS reports every model-constraint violation of a request at once:
//! `2 validation errors detected: Value null at 'keyId' failed to satisfy
//! constraint: Member must not be null; Value '0' at 'numberOfBytes' ...`.
//! [`Validator`] collects violations in that form; member paths are the
//! lowerCamelCase member names AWS uses.

use crate::error::{KmsError, KmsResult};
use crate::key::encryption_context::EncryptionContext;
use crate::wire::aws_enum::AwsEnum;

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

    /// A member typed by an AWS enum: records AWS's "enum value set" violation
    /// for a value outside `E` and returns the parsed value (`None` if the
    /// member is absent or invalid), so the operation never parses it again.
    pub fn enum_member<E: AwsEnum>(&mut self, path: &str, v: Option<&str>) -> Option<E> {
        let s = v?;
        let parsed = E::parse(s);
        if parsed.is_none() {
            self.not_in_set(path, s, E::wire_list());
        }
        parsed
    }

    /// A string member that must be one of `allowed`, for AWS enums Trent keeps
    /// as strings rather than as an [`AwsEnum`] (grant operations, which grants
    /// store and policies match as the API spells them).
    pub fn one_of(&mut self, path: &str, v: Option<&str>, allowed: &[&str]) -> &mut Self {
        if let Some(s) = v
            && !allowed.contains(&s)
        {
            self.not_in_set(path, s, &format!("[{}]", allowed.join(", ")));
        }
        self
    }

    fn not_in_set(&mut self, path: &str, value: &str, list: &str) {
        self.push(Some(quote(value)), path, &format!("Member must satisfy enum value set: {list}"));
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

    /// [`Validator::finish`], then the required members as values: pass the
    /// members this validator checked as required (one `Option`, or a tuple of
    /// two to four), get back what they hold. Operations use it instead of
    /// unwrapping each required member after validating; a member that is still
    /// absent means it was not checked as required, an internal error.
    pub fn finish_with<T: Present>(&mut self, values: T) -> KmsResult<T::Value> {
        self.finish()?;
        values.present().ok_or_else(|| KmsError::internal("a required member was not validated"))
    }
}

/// Required members, as their `Option`s, that [`Validator::finish_with`]
/// hands back as values once validation has passed.
pub trait Present {
    /// The members' values.
    type Value;
    /// The values, if every member is present.
    fn present(self) -> Option<Self::Value>;
}

impl<A> Present for Option<A> {
    type Value = A;
    fn present(self) -> Option<A> {
        self
    }
}

impl<A, B> Present for (Option<A>, Option<B>) {
    type Value = (A, B);
    fn present(self) -> Option<(A, B)> {
        Some((self.0?, self.1?))
    }
}

impl<A, B, C> Present for (Option<A>, Option<B>, Option<C>) {
    type Value = (A, B, C);
    fn present(self) -> Option<(A, B, C)> {
        Some((self.0?, self.1?, self.2?))
    }
}

impl<A, B, C, D> Present for (Option<A>, Option<B>, Option<C>, Option<D>) {
    type Value = (A, B, C, D);
    fn present(self) -> Option<(A, B, C, D)> {
        Some((self.0?, self.1?, self.2?, self.3?))
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
    use crate::key::model::DataKeySpec;

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
    fn enum_member_returns_the_value_and_reports_aws_set() {
        let mut v = Validator::new();
        assert_eq!(v.enum_member::<DataKeySpec>("keySpec", Some("AES_128")), Some(DataKeySpec::Aes128));
        assert_eq!(v.enum_member::<DataKeySpec>("keySpec", None), None);
        assert!(v.finish().is_ok(), "a valid or absent member is no violation");
        assert_eq!(v.enum_member::<DataKeySpec>("keySpec", Some("aes_128")), None);
        assert_eq!(
            v.finish().unwrap_err().message.as_deref(),
            Some(
                "1 validation error detected: Value 'aes_128' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
            )
        );
    }

    #[test]
    fn one_of_reports_the_allowed_strings() {
        let mut v = Validator::new();
        v.one_of("operations.1.member", Some("Encrypt"), &["Decrypt", "Encrypt"]).one_of("x", None, &["A"]);
        assert!(v.finish().is_ok());
        v.one_of("operations.2.member", Some("Sing"), &["Decrypt", "Encrypt"]);
        assert_eq!(
            v.finish().unwrap_err().message.as_deref(),
            Some(
                "1 validation error detected: Value 'Sing' at 'operations.2.member' failed to satisfy constraint: Member must satisfy enum value set: [Decrypt, Encrypt]"
            )
        );
    }

    #[test]
    fn finish_with_keeps_aws_order_then_returns_the_values() {
        // Violations come out in the order the checks ran, enum members included.
        let mut v = Validator::new();
        let key_id: Option<String> = None;
        v.key_id("keyId", key_id.as_deref(), true);
        let spec = v.enum_member::<DataKeySpec>("keySpec", Some("AES_512"));
        v.int_range("numberOfBytes", Some(0), 1, 1024);
        let e = v.finish_with((key_id, spec)).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Validation);
        assert_eq!(
            e.message.as_deref(),
            Some(
                "3 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]; Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )
        );

        let mut v = Validator::new();
        let key_id = Some("k".to_owned());
        v.key_id("keyId", key_id.as_deref(), true);
        let spec = v.enum_member::<DataKeySpec>("keySpec", Some("AES_256"));
        assert_eq!(v.finish_with((key_id, spec)).expect("valid"), ("k".to_owned(), DataKeySpec::Aes256));
        assert_eq!(Validator::new().finish_with(Some(1)).expect("one value"), 1);
        assert_eq!(Validator::new().finish_with((Some(1), Some(2), Some(3))).expect("three"), (1, 2, 3));
        assert_eq!(Validator::new().finish_with((Some(1), Some(2), Some(3), Some(4))).expect("four"), (1, 2, 3, 4));
    }

    #[test]
    fn finish_with_refuses_a_member_not_checked_as_required() {
        // Nothing recorded the absence, so it is Trent's bug, not the caller's.
        let e = Validator::new().finish_with((Some(1), None::<u8>)).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::KmsInternal);
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
