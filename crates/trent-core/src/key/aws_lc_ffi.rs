//! The AWS-LC functions aws-lc-rs does not expose, behind safe functions:
//! Ed25519ph (RFC 8032 HashEdDSA, `ED25519_PH_SHA_512`), ML-DSA signing and
//! verification of an external mu (FIPS 204 §6.2, `EXTERNAL_MU`), and reading
//! an ML-KEM PKCS#8 key (seed or expanded form) into FIPS 203's expanded key.
//! AWS-LC is the library aws-lc-rs already builds, so this adds no crypto of
//! Trent's own; every pointer handed over is a live slice of the stated length
//! and every object allocated here is freed here.
#![allow(unsafe_code)]

use std::ptr;

use zeroize::Zeroizing;

/// Length of an Ed25519 signature.
pub const ED25519_SIGNATURE_LEN: usize = 64;

/// Ed25519ph signature of `message` (AWS-LC hashes it with SHA-512 first) under
/// the 64-byte private key `seed ‖ public`.
pub fn ed25519ph_sign(private_key: &[u8; 64], message: &[u8]) -> Option<[u8; ED25519_SIGNATURE_LEN]> {
    let mut sig = [0u8; ED25519_SIGNATURE_LEN];
    // SAFETY: sig has 64 bytes, private_key 64, message message.len(); no context.
    let ok = unsafe {
        aws_lc_sys::ED25519ph_sign(
            sig.as_mut_ptr(),
            message.as_ptr(),
            message.len(),
            private_key.as_ptr(),
            ptr::null(),
            0,
        )
    };
    (ok == 1).then_some(sig)
}

/// Whether `sig` is an Ed25519ph signature of `message` by the 32-byte public key.
pub fn ed25519ph_verify(public_key: &[u8; 32], message: &[u8], sig: &[u8]) -> bool {
    let Ok(sig) = <&[u8; ED25519_SIGNATURE_LEN]>::try_from(sig) else { return false };
    // SAFETY: all three buffers have the lengths AWS-LC reads; no context.
    let ok = unsafe {
        aws_lc_sys::ED25519ph_verify(message.as_ptr(), message.len(), sig.as_ptr(), public_key.as_ptr(), ptr::null(), 0)
    };
    ok == 1
}

/// An `EVP_PKEY` freed on drop.
struct Pkey(*mut aws_lc_sys::EVP_PKEY);

impl Drop for Pkey {
    fn drop(&mut self) {
        // SAFETY: the pointer came from EVP_parse_*_key and is freed once.
        unsafe { aws_lc_sys::EVP_PKEY_free(self.0) }
    }
}

/// An `EVP_PKEY_CTX` freed on drop.
struct Ctx(*mut aws_lc_sys::EVP_PKEY_CTX);

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: the pointer came from EVP_PKEY_CTX_new and is freed once.
        unsafe { aws_lc_sys::EVP_PKEY_CTX_free(self.0) }
    }
}

fn parse(der: &[u8], private: bool) -> Option<Pkey> {
    let mut cbs = aws_lc_sys::CBS { data: ptr::null(), len: 0 };
    // SAFETY: the CBS borrows der for the duration of the parse only; the
    // parsed key owns copies of what it needs.
    let key = unsafe {
        aws_lc_sys::CBS_init(&mut cbs, der.as_ptr(), der.len());
        if private { aws_lc_sys::EVP_parse_private_key(&mut cbs) } else { aws_lc_sys::EVP_parse_public_key(&mut cbs) }
    };
    (!key.is_null()).then_some(Pkey(key))
}

fn ctx(key: &Pkey) -> Option<Ctx> {
    // SAFETY: key is a live EVP_PKEY; the context takes its own reference.
    let c = unsafe { aws_lc_sys::EVP_PKEY_CTX_new(key.0, ptr::null_mut()) };
    (!c.is_null()).then_some(Ctx(c))
}

/// ML-DSA signature of an externally computed 64-byte mu, with the key in
/// `pkcs8` (AWS-LC's `EVP_PKEY_sign` on an ML-DSA key is the external-mu mode).
pub fn ml_dsa_sign_mu(pkcs8: &[u8], mu: &[u8], signature_len: usize) -> Option<Vec<u8>> {
    if mu.len() != 64 {
        return None;
    }
    let key = parse(pkcs8, true)?;
    let c = ctx(&key)?;
    let mut sig = vec![0u8; signature_len];
    let mut len = sig.len();
    // SAFETY: c is a live context; sig has `len` writable bytes; mu 64 bytes.
    let ok = unsafe {
        aws_lc_sys::EVP_PKEY_sign_init(c.0) == 1
            && aws_lc_sys::EVP_PKEY_sign(c.0, sig.as_mut_ptr(), &mut len, mu.as_ptr(), mu.len()) == 1
    };
    if !ok || len > sig.len() {
        return None;
    }
    sig.truncate(len);
    Some(sig)
}

/// Whether `sig` is an ML-DSA signature of the 64-byte `mu` under the key in `spki`.
pub fn ml_dsa_verify_mu(spki: &[u8], mu: &[u8], sig: &[u8]) -> bool {
    if mu.len() != 64 {
        return false;
    }
    let Some(key) = parse(spki, false) else { return false };
    let Some(c) = ctx(&key) else { return false };
    // SAFETY: c is a live context; sig and mu are read-only slices of their lengths.
    unsafe {
        aws_lc_sys::EVP_PKEY_verify_init(c.0) == 1
            && aws_lc_sys::EVP_PKEY_verify(c.0, sig.as_ptr(), sig.len(), mu.as_ptr(), mu.len()) == 1
    }
}

/// The raw private key in a PKCS#8 document AWS-LC parses; for ML-KEM, the
/// expanded decapsulation key, also when the document holds only the seed.
pub fn raw_private_key_from_pkcs8(pkcs8: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let key = parse(pkcs8, true)?;
    let mut len = 0usize;
    // SAFETY: key is live; a null output asks only for the length.
    if unsafe { aws_lc_sys::EVP_PKEY_get_raw_private_key(key.0, ptr::null_mut(), &mut len) } != 1 {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; len]);
    // SAFETY: out has `len` writable bytes, the length AWS-LC just gave.
    if unsafe { aws_lc_sys::EVP_PKEY_get_raw_private_key(key.0, out.as_mut_ptr(), &mut len) } != 1 || len > out.len() {
        return None;
    }
    out.truncate(len);
    Some(out)
}
