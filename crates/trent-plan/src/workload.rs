//! The workload file `trent plan` reads (TOML), checked field by field: an
//! unknown operation, a negative rate or an unknown region is refused with the
//! line and the field named. See docs/planning.md for the format.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use trent_core::Operation;
use trent_core::key::model::{DataKeyPairSpec, KeySpec};
use trent_core::wire::aws_enum::AwsEnum;

use crate::regions;
use crate::s3::{DEFAULT_BUCKET_KEY_REUSE_SECONDS, S3Traffic};

/// Why a workload file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkloadError {
    /// Not TOML, a field of the wrong type or an unknown field (toml's message names the line).
    #[error("{0}")]
    Syntax(String),
    /// A value out of range or unknown.
    #[error("line {line}: {field}: {message}")]
    Field {
        /// 1-based line of the value.
        line: usize,
        /// The field's path, e.g. `callers[0].rates.Encrypt`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Where the requests of a source are charged: the caller's account and region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Place {
    /// The calling account (12 digits, or a label).
    pub account: String,
    /// The region the calls are made in.
    pub region: String,
}

/// Client-side data key caching, as trent-client's cache and the AWS
/// Encryption SDK's caching CMM bound it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CacheSettings {
    /// Messages one cached data key encrypts at most.
    pub max_messages: f64,
    /// Seconds a cached data key is used at most.
    pub max_age_seconds: f64,
}

/// What a source asks of KMS.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// A service or caller calling KMS directly at fixed operation rates.
    Caller {
        /// Requests per second by operation.
        rates: Vec<(Operation, f64)>,
        /// The key spec its key operations use.
        key_spec: KeySpec,
        /// The pair spec of its GenerateDataKeyPair* calls.
        key_pair_spec: Option<DataKeyPairSpec>,
    },
    /// S3 objects on SSE-KMS buckets (S3 calls KMS for the requester).
    S3(S3Traffic),
    /// Envelope encryption: one GenerateDataKey per data key, fewer with a cache.
    Envelope {
        /// Messages encrypted per second, all instances together.
        messages_per_second: f64,
        /// Processes, each with its own cache.
        instances: f64,
        /// The cache, if any.
        cache: Option<CacheSettings>,
    },
}

/// One named source of KMS requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Its name in the workload file.
    pub name: String,
    /// Who pays.
    pub place: Place,
    /// What it does.
    pub kind: SourceKind,
}

/// A checked workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Every source, in file order (callers, then s3, then envelope).
    pub sources: Vec<Source>,
}

/// The account used when neither the source nor the file names one.
pub const DEFAULT_ACCOUNT: &str = "111122223333";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    account: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    #[serde(default, alias = "services")]
    callers: Vec<RawCaller>,
    #[serde(default)]
    s3: Vec<RawS3>,
    #[serde(default)]
    envelope: Vec<RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaller {
    name: String,
    account: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    key_spec: Option<Spanned<String>>,
    key_pair_spec: Option<Spanned<String>>,
    rates: BTreeMap<String, Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawS3 {
    name: String,
    account: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    put_per_second: Option<Spanned<f64>>,
    get_per_second: Option<Spanned<f64>>,
    multipart_per_second: Option<Spanned<f64>>,
    parts_per_upload: Option<Spanned<f64>>,
    #[serde(default)]
    bucket_key: bool,
    buckets: Option<Spanned<f64>>,
    requesters: Option<Spanned<f64>>,
    bucket_key_reuse_seconds: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    name: String,
    account: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    messages_per_second: Spanned<f64>,
    instances: Option<Spanned<f64>>,
    cache: Option<RawCache>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    max_messages: Spanned<f64>,
    max_age_seconds: Spanned<f64>,
}

/// Turns byte offsets into line numbers and builds field errors.
struct Checker<'a> {
    text: &'a str,
}

impl Checker<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text.get(..offset).map_or(1, |t| t.bytes().filter(|b| *b == b'\n').count() + 1)
    }

    fn err<T>(&self, v: &Spanned<T>, field: &str, message: impl Into<String>) -> WorkloadError {
        WorkloadError::Field { line: self.line(v.span().start), field: field.to_owned(), message: message.into() }
    }

    /// A rate or count: finite and at least `min` (0 for rates).
    fn number(&self, v: &Spanned<f64>, field: &str, min: f64, what: &str) -> Result<f64, WorkloadError> {
        let x = *v.get_ref();
        if !x.is_finite() || x < min {
            return Err(self.err(v, field, format!("{what} must be a number ≥ {min}, got {x}")));
        }
        Ok(x)
    }

    fn optional(
        &self,
        v: Option<&Spanned<f64>>,
        field: &str,
        min: f64,
        what: &str,
        default: f64,
    ) -> Result<f64, WorkloadError> {
        v.map_or(Ok(default), |v| self.number(v, field, min, what))
    }

    fn region(&self, v: &Spanned<String>, field: &str) -> Result<String, WorkloadError> {
        if !regions::is_known(v.get_ref()) {
            return Err(self.err(v, field, format!("unknown region {:?} (e.g. us-east-1, eu-west-2)", v.get_ref())));
        }
        Ok(v.get_ref().clone())
    }

    fn place(
        &self,
        account: Option<&Spanned<String>>,
        region: Option<&Spanned<String>>,
        prefix: &str,
        default: &Place,
    ) -> Result<Place, WorkloadError> {
        let account = match account {
            Some(a) if a.get_ref().trim().is_empty() => {
                return Err(self.err(a, &format!("{prefix}.account"), "must not be empty"));
            }
            Some(a) => a.get_ref().clone(),
            None => default.account.clone(),
        };
        let region = match region {
            Some(r) => self.region(r, &format!("{prefix}.region"))?,
            None => default.region.clone(),
        };
        Ok(Place { account, region })
    }
}

impl Workload {
    /// Parses and checks a workload file; `region` is used by sources that name
    /// none, when the file names none either (the `--region` of `trent plan`).
    pub fn parse(text: &str, region: &str) -> Result<Self, WorkloadError> {
        let raw: RawWorkload = toml::from_str(text).map_err(|e| WorkloadError::Syntax(e.to_string()))?;
        let c = Checker { text };
        let default = Place {
            account: raw.account.as_ref().map_or_else(|| DEFAULT_ACCOUNT.to_owned(), |a| a.get_ref().clone()),
            region: match &raw.region {
                Some(r) => c.region(r, "region")?,
                None => region.to_owned(),
            },
        };
        let mut sources = Vec::new();
        for (i, s) in raw.callers.iter().enumerate() {
            let p = format!("callers[{i}]");
            let place = c.place(s.account.as_ref(), s.region.as_ref(), &p, &default)?;
            let key_spec = match &s.key_spec {
                Some(k) => KeySpec::parse(k.get_ref()).ok_or_else(|| {
                    c.err(
                        k,
                        &format!("{p}.key_spec"),
                        format!("unknown key spec {:?}; known: {}", k.get_ref(), KeySpec::wire_list()),
                    )
                })?,
                None => KeySpec::SymmetricDefault,
            };
            let key_pair_spec = match &s.key_pair_spec {
                Some(k) => Some(DataKeyPairSpec::parse(k.get_ref()).ok_or_else(|| {
                    c.err(
                        k,
                        &format!("{p}.key_pair_spec"),
                        format!("unknown key pair spec {:?}; known: {}", k.get_ref(), DataKeyPairSpec::wire_list()),
                    )
                })?),
                None => None,
            };
            let mut rates = Vec::new();
            for (name, rate) in &s.rates {
                let field = format!("{p}.rates.{name}");
                let op = Operation::from_name(name).ok_or_else(|| {
                    c.err(
                        rate,
                        &field,
                        format!(
                            "unknown operation {name:?} (KMS API names, e.g. Encrypt, GenerateDataKey, DescribeKey)"
                        ),
                    )
                })?;
                let r = c.number(rate, &field, 0.0, "a rate (requests per second)")?;
                if matches!(op, Operation::GenerateDataKeyPair | Operation::GenerateDataKeyPairWithoutPlaintext)
                    && key_pair_spec.is_none()
                {
                    return Err(c.err(
                        rate,
                        &field,
                        format!("{name} is charged by key pair spec: set {p}.key_pair_spec"),
                    ));
                }
                rates.push((op, r));
            }
            sources.push(Source {
                name: s.name.clone(),
                place,
                kind: SourceKind::Caller { rates, key_spec, key_pair_spec },
            });
        }
        for (i, s) in raw.s3.iter().enumerate() {
            let p = format!("s3[{i}]");
            let place = c.place(s.account.as_ref(), s.region.as_ref(), &p, &default)?;
            let rate = |v: &Option<Spanned<f64>>, f: &str| {
                c.optional(v.as_ref(), &format!("{p}.{f}"), 0.0, "a rate (objects per second)", 0.0)
            };
            let t = S3Traffic {
                put_per_second: rate(&s.put_per_second, "put_per_second")?,
                get_per_second: rate(&s.get_per_second, "get_per_second")?,
                multipart_per_second: rate(&s.multipart_per_second, "multipart_per_second")?,
                parts_per_upload: c.optional(
                    s.parts_per_upload.as_ref(),
                    &format!("{p}.parts_per_upload"),
                    1.0,
                    "a part count",
                    1.0,
                )?,
                bucket_key: s.bucket_key,
                buckets: c.optional(s.buckets.as_ref(), &format!("{p}.buckets"), 1.0, "a bucket count", 1.0)?,
                requesters: c.optional(
                    s.requesters.as_ref(),
                    &format!("{p}.requesters"),
                    1.0,
                    "a requester count",
                    1.0,
                )?,
                bucket_key_reuse_seconds: match &s.bucket_key_reuse_seconds {
                    Some(v) if *v.get_ref() <= 0.0 => {
                        return Err(c.err(v, &format!("{p}.bucket_key_reuse_seconds"), "must be more than 0"));
                    }
                    v => c.optional(
                        v.as_ref(),
                        &format!("{p}.bucket_key_reuse_seconds"),
                        0.0,
                        "a duration",
                        DEFAULT_BUCKET_KEY_REUSE_SECONDS,
                    )?,
                },
            };
            sources.push(Source { name: s.name.clone(), place, kind: SourceKind::S3(t) });
        }
        for (i, s) in raw.envelope.iter().enumerate() {
            let p = format!("envelope[{i}]");
            let place = c.place(s.account.as_ref(), s.region.as_ref(), &p, &default)?;
            let messages_per_second = c.number(
                &s.messages_per_second,
                &format!("{p}.messages_per_second"),
                0.0,
                "a rate (messages per second)",
            )?;
            let instances =
                c.optional(s.instances.as_ref(), &format!("{p}.instances"), 1.0, "an instance count", 1.0)?;
            let cache = match &s.cache {
                Some(k) => Some(CacheSettings {
                    max_messages: c.number(
                        &k.max_messages,
                        &format!("{p}.cache.max_messages"),
                        1.0,
                        "a message count",
                    )?,
                    max_age_seconds: match c.number(
                        &k.max_age_seconds,
                        &format!("{p}.cache.max_age_seconds"),
                        0.0,
                        "a duration",
                    )? {
                        0.0 => {
                            return Err(c.err(
                                &k.max_age_seconds,
                                &format!("{p}.cache.max_age_seconds"),
                                "must be more than 0",
                            ));
                        }
                        x => x,
                    },
                }),
                None => None,
            };
            sources.push(Source {
                name: s.name.clone(),
                place,
                kind: SourceKind::Envelope { messages_per_second, instances, cache },
            });
        }
        Ok(Workload { sources })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> (usize, String, String) {
        match Workload::parse(text, "us-east-1") {
            Err(WorkloadError::Field { line, field, message }) => (line, field, message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_operations_negative_rates_and_unknown_regions_name_line_and_field() {
        let (line, field, message) =
            refused("[[callers]]\nname = \"api\"\n[callers.rates]\nEncrypt = 10\nEncrpyt = 5\n");
        assert_eq!((line, field.as_str()), (5, "callers[0].rates.Encrpyt"));
        assert!(message.contains("unknown operation \"Encrpyt\""), "{message}");

        let (line, field, message) = refused("[[s3]]\nname = \"uploads\"\n\nput_per_second = -3\n");
        assert_eq!((line, field.as_str()), (4, "s3[0].put_per_second"));
        assert!(message.contains("got -3"), "{message}");

        let (line, field, _) = refused(
            "region = \"us-east-1\"\n[[envelope]]\nname = \"e\"\nregion = \"us-esat-1\"\nmessages_per_second = 1\n",
        );
        assert_eq!((line, field.as_str()), (4, "envelope[0].region"));

        let (line, field, _) = refused("region = \"mars-1\"\n");
        assert_eq!((line, field.as_str()), (1, "region"));
    }

    #[test]
    fn unknown_fields_are_refused_by_the_parser_with_their_line() {
        let Err(WorkloadError::Syntax(m)) = Workload::parse("[[s3]]\nname = \"x\"\nputs = 4\n", "us-east-1") else {
            panic!("unknown field accepted");
        };
        assert!(m.contains("line 3") && m.contains("puts"), "{m}");
    }

    #[test]
    fn a_full_workload_parses_with_defaults() {
        let w = Workload::parse(
            "account = \"444455556666\"\n[[callers]]\nname = \"api\"\nregion = \"eu-west-2\"\nkey_spec = \"RSA_2048\"\nrates = { Sign = 5, DescribeKey = 1.5 }\n\
             [[s3]]\nname = \"b\"\nput_per_second = 100\nbucket_key = true\n\
             [[envelope]]\nname = \"e\"\nmessages_per_second = 50\ncache = { max_messages = 10, max_age_seconds = 60 }\n",
            "us-west-2",
        )
        .expect("valid");
        assert_eq!(w.sources.len(), 3);
        assert_eq!(w.sources[0].place, Place { account: "444455556666".into(), region: "eu-west-2".into() });
        assert_eq!(w.sources[1].place.region, "us-west-2");
        let SourceKind::S3(t) = &w.sources[1].kind else { panic!("s3") };
        assert!(t.bucket_key);
        assert_eq!(t.bucket_key_reuse_seconds, DEFAULT_BUCKET_KEY_REUSE_SECONDS);
    }
}
