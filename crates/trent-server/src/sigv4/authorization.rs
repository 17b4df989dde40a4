//! Parsing of the `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
//! Signature=…` header and of its credential scope, borrowing from the header
//! so a well-formed request costs no allocation.

use trent_core::KmsError;

use super::errors::{self, Missing};
use trent_sigv4::split;

pub(crate) use trent_sigv4::{ALGORITHM, TERMINATOR};

/// The three parameters of a SigV4 `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Authorization<'a> {
    pub credential: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

/// Parses `header`; `has_date` says whether the request carries `X-Amz-Date`
/// or `Date`, because AWS reports a missing date together with missing parameters.
pub(crate) fn parse(header: &str, has_date: bool) -> Result<Authorization<'_>, KmsError> {
    let trimmed = header.trim();
    let (algorithm, params) = trimmed.split_once([' ', '\t']).unwrap_or((trimmed, ""));

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for piece in split::split(params, b',') {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let Some((key, value)) = split::split_once(piece, b'=') else {
            return Err(errors::missing_equal_sign(piece, header));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        // The first occurrence wins; a repeated parameter cannot override it.
        slot.get_or_insert(value.trim());
    }

    let missing = Missing {
        credential: credential.is_none(),
        signature: signature.is_none(),
        signed_headers: signed_headers.is_none(),
        date: !has_date,
    };
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) if !missing.any() => {
            if algorithm != ALGORITHM {
                return Err(errors::unsupported_algorithm(algorithm));
            }
            Ok(Authorization { credential, signed_headers, signature })
        }
        _ => Err(errors::missing_parts(missing, header)),
    }
}

/// A credential `AKID/YYYYMMDD/region/service/aws4_request`, split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Credential<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
    /// `YYYYMMDD/region/service/aws4_request`, as it appears in the string to sign.
    pub scope: &'a str,
    /// `AKID/YYYYMMDD/region/service`: everything a derived signing key depends on.
    pub key_id: &'a str,
}

impl<'a> Credential<'a> {
    /// Splits a credential; anything but five `/`-separated parts is an error.
    pub(crate) fn parse(credential: &'a str) -> Result<Self, KmsError> {
        let mut it = split::split(credential, b'/');
        let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator), None) =
            (it.next(), it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(errors::credential_shape(credential));
        };
        let scope = credential.get(access_key_id.len() + 1..).unwrap_or_default();
        let key_id = credential.get(..credential.len() - terminator.len() - 1).unwrap_or_default();
        Ok(Self { access_key_id, date, region, service, terminator, scope, key_id })
    }
}

/// Which of the headers SigV4 cares about a SignedHeaders list names.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Signed {
    pub host: bool,
    pub x_amz_date: bool,
    pub date: bool,
    pub content_sha256: bool,
}

impl Signed {
    /// Scans a `;`-separated SignedHeaders list once (names compared ASCII
    /// case-insensitively).
    pub(crate) fn scan(signed_headers: &str) -> Self {
        let mut signed = Self::default();
        for name in split::split(signed_headers, b';') {
            let name = name.trim();
            let flag = match name.len() {
                4 if name.eq_ignore_ascii_case("host") => &mut signed.host,
                4 if name.eq_ignore_ascii_case("date") => &mut signed.date,
                10 if name.eq_ignore_ascii_case("x-amz-date") => &mut signed.x_amz_date,
                20 if name.eq_ignore_ascii_case("x-amz-content-sha256") => &mut signed.content_sha256,
                _ => continue,
            };
            *flag = true;
        }
        signed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_core::ErrorKind;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa0";

    #[test]
    fn parses_sdk_style_header() {
        let a = parse(GOOD, true).expect("valid");
        assert_eq!(a.credential, "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request");
        assert_eq!(a.signed_headers, "host;x-amz-date");
        assert_eq!(a.signature, "5fa0");
    }

    #[test]
    fn tolerates_missing_spaces_and_extra_parameters() {
        let h = "AWS4-HMAC-SHA256 Credential=A/B/C/D/E,SignedHeaders=host,Extra=1,Signature=ff";
        let a = parse(h, true).expect("valid");
        assert_eq!((a.credential, a.signed_headers, a.signature), ("A/B/C/D/E", "host", "ff"));
    }

    #[test]
    fn lists_every_missing_part() {
        let e = parse("AWS4-HMAC-SHA256 SignedHeaders=host", false).expect_err("incomplete");
        assert_eq!(e.kind, ErrorKind::IncompleteSignature);
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host"
            )
        );
        let e = parse("", true).expect_err("empty");
        assert!(e.message.as_deref().is_some_and(|m| m.ends_with("'SignedHeaders' parameter. Authorization=")));
    }

    #[test]
    fn rejects_bearer_tokens_like_aws() {
        let e = parse("Bearer abc.def", true).expect_err("bearer");
        assert_eq!(
            e.message.as_deref(),
            Some(
                "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'."
            )
        );
    }

    #[test]
    fn rejects_other_algorithms() {
        let h = GOOD.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256");
        let e = parse(&h, true).expect_err("algorithm");
        assert_eq!(e.kind, ErrorKind::IncompleteSignature);
    }

    #[test]
    fn splits_credentials() {
        let c = Credential::parse("AKID/20150830/us-east-1/kms/aws4_request").expect("valid");
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.date, "20150830");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.service, "kms");
        assert_eq!(c.terminator, "aws4_request");
        assert_eq!(c.scope, "20150830/us-east-1/kms/aws4_request");
        assert_eq!(c.key_id, "AKID/20150830/us-east-1/kms");
        let empty = Credential::parse("////").expect("five empty parts");
        assert_eq!((empty.scope, empty.key_id), ("///", "///"));
        for bad in ["", "AKID", "a/b/c/d", "a/b/c/d/e/f", "wJal/rXU/20150830/us-east-1/kms/aws4_request"] {
            assert_eq!(Credential::parse(bad).expect_err(bad).kind, ErrorKind::IncompleteSignature);
        }
    }

    #[test]
    fn scans_signed_headers_case_insensitively() {
        let s = Signed::scan("content-type;Host;X-Amz-Date;x-amz-content-sha256");
        assert_eq!(s, Signed { host: true, x_amz_date: true, date: false, content_sha256: true });
        assert_eq!(Signed::scan("hostx;date;x-amz-datex"), Signed { date: true, ..Signed::default() });
        assert_eq!(Signed::scan(""), Signed::default());
    }
}
