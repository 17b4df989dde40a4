//! Alias names: the model's constraints and the service's rules beyond them.

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::wire::validate::Validator;

/// Model and service checks of an alias name, with AWS's errors.
pub fn check_alias_name(v: &mut Validator, name: Option<&str>) {
    v.str_len("aliasName", name, 1, 256).pattern("aliasName", name, "^[a-zA-Z0-9:/_-]+$", |s| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'))
    });
}

/// Service rules beyond the model: the `alias/` prefix, no `:`, and the reserved `alias/aws/` prefix.
pub fn check_alias_rules(name: &str) -> KmsResult<()> {
    if !name.starts_with("alias/") || name.len() == "alias/".len() {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.contains(':') {
        return Err(KmsError::validation(format!("{name} contains invalid characters for an alias")));
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::new(
            ErrorKind::InvalidAliasName,
            "Alias names that begin with alias/aws/ are reserved for AWS managed keys.",
        ));
    }
    Ok(())
}
