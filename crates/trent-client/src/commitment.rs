//! Key commitment policy: which suites may be written and read.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::suite::AlgorithmSuite;

/// The ESDK commitment policy, a client-wide setting.
///
/// It exists so that a deployment can migrate from v1 (non-committing) messages to v2 ones in
/// steps: first read both, then write only committing messages, then read only committing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommitmentPolicy {
    /// Write only v1 suites; read anything.
    ForbidEncryptAllowDecrypt,
    /// Write only committing suites; read anything.
    RequireEncryptAllowDecrypt,
    /// Write and read only committing suites (the default, as in every ESDK ≥ 2).
    #[default]
    RequireEncryptRequireDecrypt,
}

impl CommitmentPolicy {
    /// The CLI spelling (`require-encrypt-require-decrypt`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::ForbidEncryptAllowDecrypt => "forbid-encrypt-allow-decrypt",
            Self::RequireEncryptAllowDecrypt => "require-encrypt-allow-decrypt",
            Self::RequireEncryptRequireDecrypt => "require-encrypt-require-decrypt",
        }
    }

    /// The suite used when the caller does not pick one.
    pub fn default_suite(self) -> AlgorithmSuite {
        match self {
            Self::ForbidEncryptAllowDecrypt => AlgorithmSuite::DEFAULT_NON_COMMITTING,
            _ => AlgorithmSuite::DEFAULT_COMMITTING,
        }
    }

    /// Fails unless the policy allows writing messages with `suite`.
    pub fn check_encrypt(self, suite: AlgorithmSuite) -> Result<()> {
        let ok = match self {
            Self::ForbidEncryptAllowDecrypt => !suite.is_committing(),
            _ => suite.is_committing(),
        };
        self.verdict(ok, suite)
    }

    /// Fails unless the policy allows reading messages with `suite`.
    pub fn check_decrypt(self, suite: AlgorithmSuite) -> Result<()> {
        let ok = match self {
            Self::RequireEncryptRequireDecrypt => suite.is_committing(),
            _ => true,
        };
        self.verdict(ok, suite)
    }

    fn verdict(self, ok: bool, suite: AlgorithmSuite) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(Error::SuiteNotAllowed { suite: suite.to_string(), policy: self.name().to_string() })
        }
    }
}

impl fmt::Display for CommitmentPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CommitmentPolicy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        [Self::ForbidEncryptAllowDecrypt, Self::RequireEncryptAllowDecrypt, Self::RequireEncryptRequireDecrypt]
            .into_iter()
            .find(|p| p.name() == norm)
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown commitment policy {s:?}; use forbid-encrypt-allow-decrypt, \
                 require-encrypt-allow-decrypt or require-encrypt-require-decrypt"
                ))
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn policy_matrix() {
        let v1 = AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384;
        let v2 = AlgorithmSuite::Aes256GcmHkdfSha512CommitKey;
        let f = CommitmentPolicy::ForbidEncryptAllowDecrypt;
        let ra = CommitmentPolicy::RequireEncryptAllowDecrypt;
        let rr = CommitmentPolicy::RequireEncryptRequireDecrypt;
        assert!(f.check_encrypt(v1).is_ok() && f.check_encrypt(v2).is_err());
        assert!(ra.check_encrypt(v2).is_ok() && ra.check_encrypt(v1).is_err());
        assert!(ra.check_decrypt(v1).is_ok() && f.check_decrypt(v2).is_ok());
        assert!(rr.check_decrypt(v1).is_err() && rr.check_decrypt(v2).is_ok());
        assert_eq!("REQUIRE_ENCRYPT_ALLOW_DECRYPT".parse::<CommitmentPolicy>().ok(), Some(ra));
    }
}
