//! Per-request cost of signing an AWS JSON 1.1 `POST /` as the load lab does:
//! trent-sigv4's [`Signer`] (shared canonical request, day key cached) against
//! the `aws-sigv4` crate with a precomputed payload hash and a prepared
//! identity. The load lab's choice between the two rests on these numbers
//! (docs/load.md).

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCreds;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use criterion::{Criterion, criterion_group, criterion_main};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use http::{HeaderMap, Method, Uri};
use trent_sigv4::{Credentials, Signer, payload_hash};
use zeroize::Zeroizing;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const HOST_NAME: &str = "127.0.0.1:4599";
const TARGET: &str = "TrentService.Encrypt";
const BODY: &[u8] = br#"{"KeyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","Plaintext":"YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWY="}"#;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn bench(c: &mut Criterion) {
    let hash = payload_hash(BODY);
    let uri = Uri::from_static("/");

    let signer = Signer::new(
        Credentials {
            access_key_id: AKID.into(),
            secret_access_key: Zeroizing::new(SECRET.into()),
            session_token: None,
        },
        "us-east-1",
        "kms",
    );
    c.bench_function("trent-sigv4 Signer::sign (headers built, day key cached)", |b| {
        b.iter(|| {
            let mut h = HeaderMap::with_capacity(8);
            h.insert(CONTENT_LENGTH, HeaderValue::from(BODY.len()));
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
            h.insert(HOST, HeaderValue::from_static(HOST_NAME));
            h.insert("x-amz-target", HeaderValue::from_static(TARGET));
            let r = signer.sign(&Method::POST, &uri, &mut h, &hash, black_box(now()));
            black_box((r.is_ok(), h))
        })
    });

    let identity = AwsCreds::new(AKID, SECRET, None, None, "bench").into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(vec![]);
    let len = BODY.len().to_string();
    c.bench_function("aws-sigv4 sign (precomputed payload hash, identity prepared)", |b| {
        b.iter(|| {
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name("kms")
                .time(black_box(now()))
                .settings(settings.clone())
                .build()
                .map(Into::into);
            let headers = [
                ("content-length", len.as_str()),
                ("content-type", "application/x-amz-json-1.1"),
                ("host", HOST_NAME),
                ("x-amz-target", TARGET),
            ];
            let out = params.ok().and_then(|params| {
                let req = SignableRequest::new(
                    "POST",
                    "http://127.0.0.1:4599/",
                    headers.into_iter(),
                    SignableBody::Precomputed(hash.clone()),
                )
                .ok()?;
                sign(req, &params).ok()
            });
            black_box(out)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
