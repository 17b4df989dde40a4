//! The KMS operations, parsed once from `X-Amz-Target` and used everywhere
//! after: dispatch, quota charging, metrics labels and log spans.

macro_rules! operations {
    ($($name:ident),+ $(,)?) => {
        /// One KMS API operation (the part of `X-Amz-Target` after `TrentService.`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation { $($name),+ }
        impl Operation {
            /// Every operation in the current KMS model.
            pub const ALL: &'static [Operation] = &[$(Operation::$name),+];
            /// The operation's name as it appears on the wire.
            pub fn name(self) -> &'static str {
                match self { $(Operation::$name => stringify!($name)),+ }
            }
            /// Looks up an operation by its wire name.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $(stringify!($name) => Some(Operation::$name),)+ _ => None }
            }
        }
    };
}

operations!(
    CancelKeyDeletion,
    ConnectCustomKeyStore,
    CreateAlias,
    CreateCustomKeyStore,
    CreateGrant,
    CreateKey,
    Decrypt,
    DeleteAlias,
    DeleteCustomKeyStore,
    DeleteImportedKeyMaterial,
    DeriveSharedSecret,
    DescribeCustomKeyStores,
    DescribeKey,
    DisableKey,
    DisableKeyRotation,
    DisconnectCustomKeyStore,
    EnableKey,
    EnableKeyRotation,
    Encrypt,
    GenerateDataKey,
    GenerateDataKeyPair,
    GenerateDataKeyPairWithoutPlaintext,
    GenerateDataKeyWithoutPlaintext,
    GenerateMac,
    GenerateRandom,
    GetKeyLastUsage,
    GetKeyPolicy,
    GetKeyRotationStatus,
    GetParametersForImport,
    GetPublicKey,
    ImportKeyMaterial,
    ListAliases,
    ListGrants,
    ListKeyPolicies,
    ListKeyRotations,
    ListKeys,
    ListResourceTags,
    ListRetirableGrants,
    PutKeyPolicy,
    ReEncrypt,
    ReplicateKey,
    RetireGrant,
    RevokeGrant,
    RotateKeyOnDemand,
    ScheduleKeyDeletion,
    Sign,
    TagResource,
    UntagResource,
    UpdateAlias,
    UpdateCustomKeyStore,
    UpdateKeyDescription,
    UpdatePrimaryRegion,
    Verify,
    VerifyMac,
    Encapsulate,
    Decapsulate,
);

impl Operation {
    /// The `X-Amz-Target` prefix of the KMS API.
    pub const TARGET_PREFIX: &'static str = "TrentService.";

    /// Whether the operation is a cryptographic operation that draws on a
    /// shared per-key-family pool (symmetric, RSA, ECC) rather than a quota of its own.
    pub fn is_shared_crypto(self) -> bool {
        use Operation::*;
        matches!(
            self,
            Encrypt
                | Decrypt
                | ReEncrypt
                | GenerateDataKey
                | GenerateDataKeyWithoutPlaintext
                | GenerateRandom
                | GenerateMac
                | VerifyMac
                | Sign
                | Verify
                | DeriveSharedSecret
                | Encapsulate
                | Decapsulate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(Operation::ALL.len(), 56);
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(*op));
        }
        assert_eq!(Operation::from_name("Nope"), None);
    }
}
