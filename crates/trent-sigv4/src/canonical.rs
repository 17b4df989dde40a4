//! The SigV4 canonical request, written as bytes into a caller-supplied buffer.
//!
//! Follows the AWS spec as the official signers implement it for every
//! service except S3: the wire path has its dot segments removed and is
//! percent-encoded once more ("double encoding"), query parameters are decoded,
//! strictly re-encoded and sorted, and each signed header's values are
//! space-trimmed, inner space runs collapsed, and joined with `,`.

use std::borrow::Cow;

use http::{HeaderMap, Method, Uri};

use crate::split;

/// Everything of a request the canonical form covers: what the verifier
/// received, or what the signer is about to send.
pub struct Request<'a> {
    /// The HTTP method, the canonical request's first line.
    pub method: &'a Method,
    /// The URI: its path (normalized, encoded once more) and query are signed, and its
    /// authority stands in for a `host` header HTTP/2 does not send.
    pub uri: &'a Uri,
    /// The headers; only those named in `signed_headers` are read.
    pub headers: &'a HeaderMap,
    /// The SignedHeaders list exactly as the client sent it.
    pub signed_headers: &'a str,
    /// Lowercase hex SHA-256 of the body.
    pub payload_hash: &'a str,
}

/// Appends the canonical request for `req` to `out` (a caller-owned buffer,
/// so a verifier can reuse one per thread and allocate nothing).
pub fn write(out: &mut Vec<u8>, req: &Request<'_>) {
    out.extend_from_slice(req.method.as_str().as_bytes());
    out.push(b'\n');
    write_uri_path(out, req.uri.path());
    out.push(b'\n');
    if let Some(query) = req.uri.query() {
        write_query(out, query);
    }
    out.push(b'\n');
    for name in split::split(req.signed_headers, b';') {
        write_header(out, name, req);
    }
    out.push(b'\n');
    out.extend_from_slice(req.signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(req.payload_hash.as_bytes());
}

fn write_header(out: &mut Vec<u8>, name: &str, req: &Request<'_>) {
    for &b in name.as_bytes() {
        out.push(b.to_ascii_lowercase());
    }
    out.push(b':');
    // `get_all` with an invalid name simply finds nothing.
    let mut values = req.headers.get_all(name).iter().peekable();
    if values.peek().is_none() && name.eq_ignore_ascii_case("host") {
        // HTTP/2 carries the host as `:authority`, which lands in the URI.
        if let Some(authority) = req.uri.authority() {
            push_trimmed(out, authority.as_str().as_bytes());
        }
    }
    let mut first = true;
    for value in values {
        if !first {
            out.push(b',');
        }
        first = false;
        push_trimmed(out, value.as_bytes());
    }
    out.push(b'\n');
}

/// Appends `v` without leading/trailing spaces and with runs of spaces collapsed
/// to one (only U+0020, like the AWS signers; tabs are left alone).
fn push_trimmed(out: &mut Vec<u8>, v: &[u8]) {
    let Some(start) = v.iter().position(|&b| b != b' ') else {
        return;
    };
    let end = v.iter().rposition(|&b| b != b' ').map_or(start, |e| e + 1);
    let v = &v[start..end];
    if !v.windows(2).any(|w| w == b"  ") {
        out.extend_from_slice(v);
        return;
    }
    let mut prev_space = false;
    for &b in v {
        let space = b == b' ';
        if !(space && prev_space) {
            out.push(b);
        }
        prev_space = space;
    }
}

fn write_uri_path(out: &mut Vec<u8>, path: &str) {
    if path == "/" || path.is_empty() {
        out.push(b'/');
        return;
    }
    let path = normalize_path(path);
    for &b in path.as_bytes() {
        if b == b'/' {
            out.push(b);
        } else {
            push_encoded(out, b);
        }
    }
}

/// Makes the path absolute and removes `.`/`..` segments and empty segments
/// (RFC 3986 §5.2.4, as aws-sigv4 does).
fn normalize_path(path: &str) -> Cow<'_, str> {
    let absolute: Cow<'_, str> =
        if path.starts_with('/') { Cow::Borrowed(path) } else { Cow::Owned(format!("/{path}")) };
    if !(absolute.contains('.') || absolute.contains("//")) {
        return absolute;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in absolute.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut result = String::with_capacity(absolute.len());
    for s in &segments {
        result.push('/');
        result.push_str(s);
    }
    let ends_with_slash = ["/", "/.", "/./", "/..", "/../"].iter().any(|s| absolute.ends_with(s));
    if result.is_empty() || (ends_with_slash && !result.ends_with('/')) {
        result.push('/');
    }
    Cow::Owned(result)
}

/// Writes the canonical query: form-decoded pairs, strictly re-encoded, sorted.
fn write_query(out: &mut Vec<u8>, query: &str) {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode_component(&form_decode(k)), encode_component(&form_decode(v)))
        })
        .collect();
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        out.extend_from_slice(v.as_bytes());
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte,
/// a stray `%` is kept; invalid UTF-8 becomes U+FFFD.
fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).and_then(|&b| hex_val(b)), bytes.get(i + 2).and_then(|&b| hex_val(b))) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn encode_component(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    for &b in s.as_bytes() {
        push_encoded(&mut out, b);
    }
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_default()
}

fn push_encoded(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
        out.push(b);
    } else {
        out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn canonical(method: &str, uri: &str, headers: &[(&str, &[u8])], signed: &str) -> String {
        let method: Method = method.parse().expect("method");
        let uri: Uri = uri.parse().expect("uri");
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_bytes(v).expect("value"),
            );
        }
        let mut out = Vec::new();
        write(
            &mut out,
            &Request { method: &method, uri: &uri, headers: &map, signed_headers: signed, payload_hash: "HASH" },
        );
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn get_vanilla_canonical_request() {
        let c = canonical(
            "GET",
            "/",
            &[("host", b"example.amazonaws.com"), ("x-amz-date", b"20150830T123600Z")],
            "host;x-amz-date",
        );
        assert_eq!(c, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\nHASH");
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let c = canonical(
            "POST",
            "/",
            &[
                ("host", b"h"),
                ("my-header1", b"  value1  "),
                ("my-header1", b"a   b   c"),
                ("my-header2", b"\"a   b\""),
            ],
            "host;my-header1;my-header2",
        );
        assert_eq!(
            c,
            "POST\n/\n\nhost:h\nmy-header1:value1,a b c\nmy-header2:\"a b\"\n\nhost;my-header1;my-header2\nHASH"
        );
    }

    #[test]
    fn host_falls_back_to_authority_and_absent_headers_are_empty() {
        let c = canonical("POST", "https://kms.local:4443/", &[], "host;x-absent;Bad Name");
        assert_eq!(c, "POST\n/\n\nhost:kms.local:4443\nx-absent:\nbad name:\n\nhost;x-absent;Bad Name\nHASH");
    }

    #[test]
    fn paths_are_normalized_and_double_encoded() {
        let path = |p: &str| {
            let mut out = Vec::new();
            write_uri_path(&mut out, p);
            String::from_utf8(out).expect("utf8")
        };
        assert_eq!(path("/"), "/");
        assert_eq!(path(""), "/");
        assert_eq!(path("/example/.."), "/");
        assert_eq!(path("/./example/"), "/example/");
        assert_eq!(path("//example//"), "/example/");
        assert_eq!(path("/example/../.."), "/");
        assert_eq!(path("/example space/"), "/example%20space/");
        assert_eq!(path("/%E1%88%B4"), "/%25E1%2588%25B4");
        assert_eq!(path("/-._~0aZ"), "/-._~0aZ");
    }

    #[test]
    fn queries_are_decoded_encoded_and_sorted() {
        let query = |q: &str| {
            let mut out = Vec::new();
            write_query(&mut out, q);
            String::from_utf8(out).expect("utf8")
        };
        assert_eq!(query("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
        assert_eq!(query("Param1=value2&Param1=Value1"), "Param1=Value1&Param1=value2");
        assert_eq!(query("Param1=value1&Param1"), "Param1=&Param1=value1");
        assert_eq!(query("a=b+c&%E1%88%B4=%zz&&"), "%E1%88%B4=%25zz&a=b%20c");
        assert_eq!(query("k=%FF"), "k=%EF%BF%BD");
        assert_eq!(query("-._~=-._~"), "-._~=-._~");
    }
}
