//! Command-line arguments of `trent encrypt` / `trent decrypt`, named after aws-encryption-cli's,
//! and their translation into library settings.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use trent_client::kms::RetryMode;
use trent_client::{
    AlgorithmSuite, CacheConfig, CachingLimits, CommitmentPolicy, DiscoveryFilter, EncryptionContext, KeySelection,
    KmsSettings,
};

/// Options shared by both subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Input file or directory, or "-" for stdin.
    #[arg(short = 'i', long = "input", value_name = "PATH")]
    pub input: String,

    /// Output file or directory, or "-" for stdout.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: String,

    /// Wrapping keys: key=ARN (repeat key=… or -w for more keys). On decrypt also
    /// discovery=true [discovery-partition=aws] [discovery-account=ID …].
    #[arg(short = 'w', long = "wrapping-keys", value_name = "KEY=VALUE", num_args = 1.., required = true)]
    pub wrapping_keys: Vec<String>,

    /// Encryption context pairs key=value (on decrypt: pairs, or bare keys, the message must carry).
    #[arg(short = 'c', long = "encryption-context", value_name = "KEY=VALUE", num_args = 1..)]
    pub encryption_context: Vec<String>,

    /// Commitment policy: require-encrypt-require-decrypt (default), require-encrypt-allow-decrypt
    /// or forbid-encrypt-allow-decrypt.
    #[arg(long, value_name = "POLICY", default_value = "require-encrypt-require-decrypt")]
    pub commitment_policy: String,

    /// Data key caching: capacity=N max_age=SECONDS [max_messages_encrypted=N]
    /// [max_bytes_encrypted=N] [partition=NAME]. One cache serves all files of the invocation;
    /// stdin input bypasses it on encrypt (its length, needed for the byte limit, is unknown).
    #[arg(long, value_name = "KEY=VALUE", num_args = 1..)]
    pub caching: Vec<String>,

    /// Maximum number of encrypted data keys to write or to accept.
    #[arg(long, value_name = "N")]
    pub max_encrypted_data_keys: Option<usize>,

    /// Operate on a directory tree (output must then be a directory).
    #[arg(short = 'r', short_alias = 'R', long)]
    pub recursive: bool,

    /// Suffix for output files named after their input [default: .encrypted / .decrypted].
    #[arg(long, value_name = "SUFFIX", num_args = 0..=1, default_missing_value = "")]
    pub suffix: Option<String>,

    /// Never overwrite existing output files (skip them with a warning).
    #[arg(long)]
    pub no_overwrite: bool,

    /// Accepted for aws-encryption-cli compatibility; trent writes no metadata.
    #[arg(short = 'S', long = "suppress-metadata")]
    pub suppress_metadata: bool,

    /// KMS endpoint, e.g. http://127.0.0.1:4599 (else AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL / AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Region for keys not given as ARNs (else AWS_REGION / profile).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Named AWS profile (else AWS_PROFILE / default).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// SDK retry mode: standard or adaptive (else AWS_RETRY_MODE / standard).
    #[arg(long, value_name = "MODE")]
    pub retry_mode: Option<String>,

    /// Attempts per KMS call, first try included (else AWS_MAX_ATTEMPTS / 3).
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,

    /// Files processed in parallel in directory mode.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 2)]
    pub jobs: usize,

    /// Print cache and KMS call counters to stderr when done.
    #[arg(long)]
    pub stats: bool,

    /// Progress bar: auto (large inputs on a terminal), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub progress: String,

    /// Print nothing but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Do I/O on the crypto thread instead of read-ahead/write-behind threads (for A/B runs).
    #[arg(long, hide = true)]
    pub sequential_io: bool,
}

/// Splits `key=value`, with a message naming the option on failure.
pub fn split_pair<'a>(option: &str, item: &'a str) -> Result<(&'a str, &'a str)> {
    item.split_once('=').ok_or_else(|| anyhow!("{option}: expected key=value, got {item:?}"))
}

/// Wrapping key settings parsed from `-w`.
#[derive(Debug)]
pub struct WrappingKeys {
    pub selection: KeySelection,
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// Parses `-w` items. `decrypting` enables discovery.
pub fn wrapping_keys(items: &[String], decrypting: bool) -> Result<WrappingKeys> {
    let mut keys = Vec::new();
    let mut discovery = None;
    let mut partition = None;
    let mut accounts = Vec::new();
    let (mut region, mut profile) = (None, None);
    for item in items {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| anyhow!("--wrapping-keys: expected key=ARN (or discovery=true), got {item:?}"))?;
        match k {
            "key" => keys.push(v.to_string()),
            "provider" if v == "aws-kms" => {}
            "provider" => bail!("--wrapping-keys: only provider=aws-kms is supported, got {v:?}"),
            "region" => region = Some(v.to_string()),
            "profile" => profile = Some(v.to_string()),
            "discovery" => {
                discovery = Some(match v.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => bail!("--wrapping-keys: discovery must be true or false"),
                })
            }
            "discovery-partition" => partition = Some(v.to_string()),
            "discovery-account" => accounts.push(v.to_string()),
            other => bail!(
                "--wrapping-keys: unknown setting {other:?} (use key=ARN, discovery=true, \
                 discovery-partition=, discovery-account=, region=, profile=)"
            ),
        }
    }
    let selection = if discovery == Some(true) {
        if !decrypting {
            bail!("--wrapping-keys discovery=true only works for decrypt; name the keys with key=ARN");
        }
        if !keys.is_empty() {
            bail!("--wrapping-keys: use either key=ARN (strict) or discovery=true, not both");
        }
        KeySelection::Discovery(DiscoveryFilter { partition, accounts })
    } else {
        if partition.is_some() || !accounts.is_empty() {
            bail!("--wrapping-keys: discovery-partition/discovery-account need discovery=true");
        }
        if keys.is_empty() {
            bail!("--wrapping-keys: give at least one key=ARN{}", if decrypting { " or discovery=true" } else { "" });
        }
        KeySelection::Strict(keys)
    };
    Ok(WrappingKeys { selection, region, profile })
}

/// Parses `-c` items into required pairs and (decrypt only) bare required keys.
pub fn encryption_context(items: &[String], allow_bare_keys: bool) -> Result<(EncryptionContext, Vec<String>)> {
    let mut ec = EncryptionContext::new();
    let mut keys = Vec::new();
    for item in items {
        match item.split_once('=') {
            Some((k, v)) => {
                if k.is_empty() {
                    bail!("--encryption-context: empty key in {item:?}");
                }
                if ec.insert(k, v).is_some() {
                    bail!("--encryption-context: key {k:?} given twice");
                }
            }
            None if allow_bare_keys => keys.push(item.clone()),
            None => bail!("--encryption-context: expected key=value, got {item:?}"),
        }
    }
    Ok((ec, keys))
}

/// Parses `--caching`.
pub fn caching(items: &[String]) -> Result<Option<CacheConfig>> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut capacity = None;
    let mut max_age = None;
    let mut limits = CachingLimits::with_max_age(Duration::from_secs(1));
    let mut partition = None;
    for item in items {
        let (k, v) = split_pair("--caching", item)?;
        let int = |v: &str| v.parse::<u64>().map_err(|_| anyhow!("--caching {k}: expected a whole number, got {v:?}"));
        match k {
            "capacity" => capacity = Some(int(v)? as usize),
            "max_age" => {
                let secs: f64 = v.parse().map_err(|_| anyhow!("--caching max_age: expected seconds, got {v:?}"))?;
                if !(secs > 0.0 && secs.is_finite()) {
                    bail!("--caching max_age must be greater than 0");
                }
                max_age = Some(Duration::from_secs_f64(secs));
            }
            "max_messages_encrypted" => limits.max_messages = int(v)?,
            "max_bytes_encrypted" => limits.max_bytes = int(v)?,
            "partition" => partition = Some(v.to_string()),
            other => bail!(
                "--caching: unknown setting {other:?} (use capacity, max_age, \
                 max_messages_encrypted, max_bytes_encrypted, partition)"
            ),
        }
    }
    let (Some(capacity), Some(max_age)) = (capacity, max_age) else {
        bail!("--caching needs at least capacity=N and max_age=SECONDS");
    };
    limits.max_age = max_age;
    Ok(Some(CacheConfig { capacity, limits, partition }))
}

/// Parses `--commitment-policy`.
pub fn commitment_policy(s: &str) -> Result<CommitmentPolicy> {
    s.parse::<CommitmentPolicy>().map_err(|e| anyhow!("--commitment-policy: {e}"))
}

/// Parses `--algorithm` (ESDK name or hex id).
pub fn algorithm(s: &str) -> Result<AlgorithmSuite> {
    AlgorithmSuite::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = AlgorithmSuite::ALL.iter().map(|a| a.name()).collect();
        anyhow!("--algorithm: unknown suite {s:?}; use one of {}", names.join(", "))
    })
}

/// KMS connection settings from the common options plus `-w` region/profile.
pub fn kms_settings(common: &CommonArgs, keys: &WrappingKeys) -> Result<KmsSettings> {
    let retry_mode = match common.retry_mode.as_deref() {
        None => None,
        Some("standard") => Some(RetryMode::Standard),
        Some("adaptive") => Some(RetryMode::Adaptive),
        Some(other) => bail!("--retry-mode: expected standard or adaptive, got {other:?}"),
    };
    if common.max_attempts == Some(0) {
        bail!("--max-attempts must be at least 1");
    }
    Ok(KmsSettings {
        endpoint_url: common.endpoint_url.clone(),
        region: common.region.clone().or_else(|| keys.region.clone()),
        profile: common.profile.clone().or_else(|| keys.profile.clone()),
        retry_mode,
        max_attempts: common.max_attempts,
    })
}

/// `trent encrypt` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Algorithm suite by ESDK name (e.g. AES_256_GCM_HKDF_SHA512_COMMIT_KEY) or id (0x0478)
    /// [default: 0x0578, or 0x0378 under forbid-encrypt-allow-decrypt].
    #[arg(long, value_name = "SUITE")]
    pub algorithm: Option<String>,

    /// Frame length in bytes (multiple of 16, at most 16 MiB).
    #[arg(long, value_name = "BYTES", default_value_t = trent_client::encrypt::DEFAULT_FRAME_LENGTH)]
    pub frame_length: u32,
}

/// `trent decrypt` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct DecryptArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Accept only unsigned messages; with -o - their plaintext streams out frame by frame.
    #[arg(long)]
    pub decrypt_unsigned: bool,

    /// With -o -: hold plaintext in a temporary file until the whole message (signature
    /// included) verified, then write it out. Required for signed messages to stdout.
    #[arg(short = 'b', long)]
    pub buffer: bool,

    /// Largest frame (or non-framed body) accepted, in bytes; bounds memory use.
    #[arg(long, value_name = "BYTES", default_value_t = trent_client::decrypt::DEFAULT_MAX_FRAME_LENGTH)]
    pub max_length: u64,
}

/// Where a path option points.
pub fn is_stdio(p: &str) -> bool {
    p == "-"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wrapping_keys_strict_and_discovery() {
        let k = wrapping_keys(&v(&["key=arn:a", "key=arn:b", "region=eu-west-1"]), false).unwrap();
        assert_eq!(k.selection, KeySelection::Strict(v(&["arn:a", "arn:b"])));
        assert_eq!(k.region.as_deref(), Some("eu-west-1"));
        let d = wrapping_keys(
            &v(&["discovery=true", "discovery-partition=aws", "discovery-account=1", "discovery-account=2"]),
            true,
        )
        .unwrap();
        assert_eq!(
            d.selection,
            KeySelection::Discovery(DiscoveryFilter { partition: Some("aws".into()), accounts: v(&["1", "2"]) })
        );
        assert!(wrapping_keys(&v(&["discovery=true"]), false).is_err());
        assert!(wrapping_keys(&v(&["discovery=true", "key=arn:a"]), true).is_err());
        assert!(wrapping_keys(&v(&["discovery-account=1", "key=arn:a"]), true).is_err());
        assert!(wrapping_keys(&v(&["provider=raw", "key=x"]), false).is_err());
        assert!(wrapping_keys(&v(&["region=x"]), false).is_err());
    }

    #[test]
    fn caching_settings() {
        assert!(caching(&[]).unwrap().is_none());
        let c = caching(&v(&[
            "capacity=10",
            "max_age=1.5",
            "max_messages_encrypted=10",
            "max_bytes_encrypted=1000",
            "partition=p",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.capacity, 10);
        assert_eq!(c.limits.max_age, Duration::from_millis(1500));
        assert_eq!((c.limits.max_messages, c.limits.max_bytes), (10, 1000));
        assert_eq!(c.partition.as_deref(), Some("p"));
        assert!(caching(&v(&["capacity=10"])).is_err());
        assert!(caching(&v(&["capacity=10", "max_age=0"])).is_err());
        assert!(caching(&v(&["capacity=10", "max_age=5", "ttl=3"])).is_err());
    }

    #[test]
    fn context_and_names() {
        let (ec, keys) = encryption_context(&v(&["a=1", "b=x=y", "c"]), true).unwrap();
        assert_eq!(ec.get("b"), Some("x=y"));
        assert_eq!(keys, v(&["c"]));
        assert!(encryption_context(&v(&["c"]), false).is_err());
        assert!(encryption_context(&v(&["a=1", "a=2"]), false).is_err());
        assert_eq!(algorithm("0x0478").unwrap().id(), 0x0478);
        assert_eq!(algorithm("AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384").unwrap().id(), 0x0378);
        assert!(algorithm("nope").is_err());
        assert!(commitment_policy("forbid-encrypt-allow-decrypt").is_ok());
        assert!(commitment_policy("sometimes").is_err());
    }
}
