//! What the import operations share: the import token (the wrapping private
//! key, algorithm and expiry, sealed under the root key and bound to the KMS
//! key, so Trent keeps no import state), unwrapping the material, checking it
//! fits the key, and the material fingerprint that makes re-imports of the
//! same material match and different material fail.

use aws_lc_rs::digest;
use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrapPadded};
use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use zeroize::Zeroizing;

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::{KeyRecord, KeySpec, KeyState, Origin, WrappingAlgorithm};
use crate::key::root_key::RootKey;
use crate::key::state::invalid_state;
use crate::wire::aws_enum::AwsEnum;

/// How long import parameters stay valid (AWS: 24 hours).
pub const PARAMETERS_VALID_SECONDS: f64 = 86_400.0;
const TOKEN_VERSION: u8 = 1;
const TOKEN_MATERIAL_ID: &str = "import-token-v1";

/// The refusal of import operations on keys whose origin is not EXTERNAL.
pub fn require_external(key: &KeyRecord) -> KmsResult<()> {
    if key.origin != Origin::External {
        return Err(KmsError::new(
            ErrorKind::UnsupportedOperation,
            format!("{} origin is {} which is not valid for this operation.", key.arn(), key.origin),
        ));
    }
    match key.key_state {
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion | KeyState::Unavailable => Err(invalid_state(key)),
        _ => Ok(()),
    }
}

fn algorithm_code(a: WrappingAlgorithm) -> u8 {
    WrappingAlgorithm::ALL.iter().position(|x| *x == a).unwrap_or(0) as u8
}

/// Seals an import token for `key_id`.
pub fn seal_token(
    root: &RootKey,
    key_id: &str,
    alg: WrappingAlgorithm,
    valid_to: f64,
    pkcs8: &[u8],
) -> KmsResult<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::with_capacity(10 + pkcs8.len()));
    plain.push(TOKEN_VERSION);
    plain.push(algorithm_code(alg));
    plain.extend_from_slice(&valid_to.to_be_bytes());
    plain.extend_from_slice(pkcs8);
    root.seal_material(key_id, TOKEN_MATERIAL_ID, &plain)
}

/// An opened import token.
pub struct Token {
    /// The wrapping algorithm chosen in GetParametersForImport.
    pub algorithm: WrappingAlgorithm,
    /// When the token expires, epoch seconds.
    pub valid_to: f64,
    /// The wrapping private key.
    pub pkcs8: Zeroizing<Vec<u8>>,
}

/// Opens a token; one made for another key, or not made by Trent, is InvalidImportTokenException.
pub fn open_token(root: &RootKey, now: f64, key: &KeyRecord, token: &[u8]) -> KmsResult<Token> {
    let invalid =
        || KmsError::new(ErrorKind::InvalidImportToken, "Import token is invalid or was issued for another key.");
    let plain = root.open_material(&key.key_id, TOKEN_MATERIAL_ID, token).map_err(|_| invalid())?;
    if plain.len() < 10 || plain[0] != TOKEN_VERSION {
        return Err(invalid());
    }
    let algorithm = *WrappingAlgorithm::ALL.get(usize::from(plain[1])).ok_or_else(invalid)?;
    let mut t = [0u8; 8];
    t.copy_from_slice(&plain[2..10]);
    let token = Token { algorithm, valid_to: f64::from_be_bytes(t), pkcs8: Zeroizing::new(plain[10..].to_vec()) };
    if token.valid_to <= now {
        return Err(KmsError::new(
            ErrorKind::ExpiredImportToken,
            "The import token has expired. Call GetParametersForImport for a new one.",
        ));
    }
    Ok(token)
}

fn oaep_decrypt(pkcs8: &[u8], sha256: bool, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let key = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(pkcs8).ok()?).ok()?;
    let alg = if sha256 { &OAEP_SHA256_MGF1SHA256 } else { &OAEP_SHA1_MGF1SHA1 };
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let n = key.decrypt(alg, ciphertext, &mut out, None).ok()?.len();
    out.truncate(n);
    Some(out)
}

/// Unwraps `EncryptedKeyMaterial` with the token's key and algorithm. Runs RSA: call off the async threads.
pub fn unwrap(token: &Token, wrapped: &[u8]) -> KmsResult<Zeroizing<Vec<u8>>> {
    let material = match token.algorithm {
        WrappingAlgorithm::RsaesOaepSha1 => oaep_decrypt(&token.pkcs8, false, wrapped),
        WrappingAlgorithm::RsaesOaepSha256 => oaep_decrypt(&token.pkcs8, true, wrapped),
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
            let sha256 = token.algorithm == WrappingAlgorithm::RsaAesKeyWrapSha256;
            let modulus = PrivateDecryptingKey::from_pkcs8(&token.pkcs8).map(|k| k.key_size_bytes()).unwrap_or(0);
            if modulus == 0 || wrapped.len() <= modulus {
                None
            } else {
                let (rsa_part, kwp_part) = wrapped.split_at(modulus);
                oaep_decrypt(&token.pkcs8, sha256, rsa_part).and_then(|aes_key| {
                    let kek = AesKek::new(&AES_256, &aes_key).ok()?;
                    let mut out = Zeroizing::new(vec![0u8; kwp_part.len()]);
                    let n = kek.unwrap_with_padding(kwp_part, &mut out).ok()?.len();
                    out.truncate(n);
                    Some(out)
                })
            }
        }
        _ => None,
    };
    material.ok_or_else(KmsError::invalid_ciphertext)
}

/// Checks that `material` is valid key material for the key.
pub fn check_material(key: &KeyRecord, material: &[u8]) -> KmsResult<()> {
    let ok = if key.key_spec == KeySpec::SymmetricDefault {
        material.len() == 32
    } else {
        crate::key::material::LoadedMaterial::open(key.key_spec, key.key_usage, material).is_ok()
    };
    if !ok {
        return Err(KmsError::new(
            ErrorKind::IncorrectKeyMaterial,
            format!("The key material is not valid for a KMS key with key spec {}.", key.key_spec),
        ));
    }
    Ok(())
}

/// The material id of imported material: derived from the material and the key,
/// so importing the same material again gives the same id (and old ciphertexts decrypt).
pub fn material_id(key_id: &str, material: &[u8]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"trent-imported-material-v1|");
    ctx.update(key_id.as_bytes());
    ctx.update(b"|");
    ctx.update(material);
    hex::encode(ctx.finish().as_ref())
}

/// The ext field recording the id of the first material imported into a key.
pub const EXT_IMPORTED_MATERIAL_ID: &str = "imported_material_id";

/// Deletes the material of `k` (also used when imported material expires).
pub fn remove_material(k: &mut KeyRecord) {
    k.materials.clear();
    k.valid_to = None;
    k.expiration_model = None;
    if k.key_state != KeyState::PendingDeletion {
        k.key_state = KeyState::PendingImport;
    }
}
