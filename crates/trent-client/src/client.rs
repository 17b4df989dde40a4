//! The high-level API: encrypt and decrypt bytes, files and streams with a materials manager,
//! a commitment policy and safe plaintext release.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cache::LocalCache;
use crate::cmm::MaterialsManager;
use crate::cmm::caching::{CachingLimits, CachingMaterialsManager};
use crate::cmm::default::DefaultMaterialsManager;
use crate::commitment::CommitmentPolicy;
use crate::context::EncryptionContext;
use crate::decrypt::{DEFAULT_MAX_FRAME_LENGTH, DecryptSummary, Decryptor};
use crate::encrypt::{DEFAULT_FRAME_LENGTH, EncryptSummary, Encryptor, validate_frame_length};
use crate::error::{Error, Result};
use crate::format::header::MessageHeader;
use crate::io_threads::{ReadAhead, WriteBehind};
use crate::keyring::Keyring;
use crate::materials::{DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest};
use crate::stats::{Stats, StatsSnapshot};
use crate::suite::AlgorithmSuite;

/// Progress callback: total input bytes processed so far.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// Per-message encryption settings.
#[derive(Debug, Clone)]
pub struct EncryptOptions {
    /// Caller's encryption context (keys must not start with `aws-crypto-`).
    pub encryption_context: EncryptionContext,
    /// Suite, or `None` for the commitment policy's default (0x0578 normally).
    pub suite: Option<AlgorithmSuite>,
    /// Frame length in bytes (multiple of 16).
    pub frame_length: u32,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        Self { encryption_context: EncryptionContext::new(), suite: None, frame_length: DEFAULT_FRAME_LENGTH }
    }
}

/// Per-message decryption settings.
#[derive(Debug, Clone)]
pub struct DecryptOptions {
    /// Pairs the message's context must contain (checked before any KMS call).
    pub required_context: EncryptionContext,
    /// Keys the message's context must contain, with any value.
    pub required_context_keys: Vec<String>,
    /// Refuse signed messages (the official CLI's `--decrypt-unsigned`).
    pub unsigned_only: bool,
    /// Largest frame (or non-framed body) accepted; bounds memory.
    pub max_frame_length: u64,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        Self {
            required_context: EncryptionContext::new(),
            required_context_keys: Vec::new(),
            unsigned_only: false,
            max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
        }
    }
}

/// Data key caching settings for [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// Entries held (LRU).
    pub capacity: usize,
    /// Age, message and byte limits per entry.
    pub limits: CachingLimits,
    /// Partition name; clients with the same name and cache share entries.
    pub partition: Option<String>,
}

/// Client-wide settings.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// Which suites may be written and read.
    pub commitment_policy: CommitmentPolicy,
    /// Cap on encrypted data keys written or read.
    pub max_encrypted_data_keys: Option<usize>,
    /// Optional data key cache.
    pub caching: Option<CacheConfig>,
    /// Do file and stream I/O on the calling thread instead of read-ahead/write-behind helper
    /// threads (for constrained environments and A/B measurements).
    pub sequential_io: bool,
}

/// A decrypted in-memory message.
#[derive(Debug)]
pub struct Decrypted {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The header it came with.
    pub header: MessageHeader,
}

/// Encrypts and decrypts ESDK messages. Cheap to clone and safe to share across tasks; all
/// clones use the same materials manager (and therefore the same cache).
#[derive(Clone)]
pub struct EnvelopeClient {
    cmm: Arc<dyn MaterialsManager>,
    policy: CommitmentPolicy,
    max_edks: Option<usize>,
    stats: Arc<Stats>,
    io_threads: bool,
}

impl EnvelopeClient {
    /// A client over any materials manager. `stats` should be the same `Arc` the keyring and
    /// caching manager count into.
    pub fn new(
        cmm: Arc<dyn MaterialsManager>,
        policy: CommitmentPolicy,
        max_edks: Option<usize>,
        stats: Arc<Stats>,
    ) -> Self {
        Self { cmm, policy, max_edks, stats, io_threads: true }
    }

    /// Builds the usual stack: default manager over `keyring`, optionally wrapped by a
    /// caching manager with a fresh cache.
    pub fn from_keyring(keyring: Arc<dyn Keyring>, stats: Arc<Stats>, config: &ClientConfig) -> Result<Self> {
        let cache = match &config.caching {
            Some(c) => Some(Arc::new(LocalCache::new(c.capacity)?)),
            None => None,
        };
        Self::from_keyring_with_cache(keyring, stats, config, cache)
    }

    /// Same as [`Self::from_keyring`] with a caller-supplied cache (to share one cache between
    /// clients, or to inject a clock).
    pub fn from_keyring_with_cache(
        keyring: Arc<dyn Keyring>,
        stats: Arc<Stats>,
        config: &ClientConfig,
        cache: Option<Arc<LocalCache>>,
    ) -> Result<Self> {
        let base: Arc<dyn MaterialsManager> = Arc::new(
            DefaultMaterialsManager::new(keyring).with_max_encrypted_data_keys(config.max_encrypted_data_keys),
        );
        let cmm: Arc<dyn MaterialsManager> = match (&config.caching, cache) {
            (Some(c), Some(cache)) => Arc::new(CachingMaterialsManager::new(
                base,
                cache,
                c.limits.clone(),
                c.partition.as_deref(),
                stats.clone(),
            )?),
            (Some(c), None) => Arc::new(CachingMaterialsManager::new(
                base,
                Arc::new(LocalCache::new(c.capacity)?),
                c.limits.clone(),
                c.partition.as_deref(),
                stats.clone(),
            )?),
            (None, _) => base,
        };
        Ok(Self::new(cmm, config.commitment_policy, config.max_encrypted_data_keys, stats)
            .with_io_threads(!config.sequential_io))
    }

    /// Whether to use I/O helper threads for a message of `suite`: signed suites already run
    /// their hash on a helper thread, and on two cores more threads only compete with it.
    fn io_threads_for(&self, suite: AlgorithmSuite) -> bool {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        self.io_threads && cores >= 2 && (!suite.is_signed() || cores > 2)
    }

    /// Turns the read-ahead/write-behind helper threads of the file and stream methods on
    /// (default) or off.
    pub fn with_io_threads(mut self, on: bool) -> Self {
        self.io_threads = on;
        self
    }

    /// Counters so far (cache hits/misses, KMS calls).
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// The commitment policy.
    pub fn commitment_policy(&self) -> CommitmentPolicy {
        self.policy
    }

    async fn encryption_materials(
        &self,
        opts: &EncryptOptions,
        plaintext_length: Option<u64>,
    ) -> Result<Arc<EncryptionMaterials>> {
        validate_frame_length(opts.frame_length)?;
        opts.encryption_context.check_no_reserved_keys()?;
        if let Some(s) = opts.suite {
            self.policy.check_encrypt(s)?;
        }
        let request = EncryptionRequest {
            encryption_context: opts.encryption_context.clone(),
            suite: opts.suite,
            commitment_policy: self.policy,
            plaintext_length,
        };
        let materials = self.cmm.encryption_materials(&request).await?;
        self.policy.check_encrypt(materials.suite)?;
        if let Some(max) = self.max_edks
            && materials.encrypted_data_keys.len() > max
        {
            return Err(Error::TooManyEncryptedDataKeys { count: materials.encrypted_data_keys.len(), max });
        }
        Ok(materials)
    }

    /// Checks everything that can be checked from the header alone, before any KMS call.
    pub fn check_header(&self, header: &MessageHeader, opts: &DecryptOptions) -> Result<()> {
        self.policy.check_decrypt(header.suite)?;
        if opts.unsigned_only && header.suite.is_signed() {
            return Err(Error::SignedMessageRefused(header.suite.to_string()));
        }
        if let Some(max) = self.max_edks
            && header.encrypted_data_keys.len() > max
        {
            return Err(Error::TooManyEncryptedDataKeys { count: header.encrypted_data_keys.len(), max });
        }
        if u64::from(header.frame_length) > opts.max_frame_length {
            return Err(Error::FrameTooLarge { len: u64::from(header.frame_length), max: opts.max_frame_length });
        }
        header.encryption_context.check_contains(&opts.required_context)
    }

    /// Reads a header from `input` (blocking) and checks it.
    pub fn read_header<R: Read>(&self, input: &mut R, opts: &DecryptOptions) -> Result<MessageHeader> {
        let header = MessageHeader::read_from(input, self.max_edks)?;
        self.check_header(&header, opts)?;
        Ok(header)
    }

    /// Obtains the data key for a parsed (and checked) header.
    pub async fn decryption_materials(&self, header: &MessageHeader) -> Result<Arc<DecryptionMaterials>> {
        let request = DecryptionRequest {
            suite: header.suite,
            commitment_policy: self.policy,
            encrypted_data_keys: header.encrypted_data_keys.clone(),
            encryption_context: header.encryption_context.clone(),
        };
        self.cmm.decryption_materials(&request).await
    }

    /// Starts a streaming encryption into `out` (two-phase API: the KMS work is async, the
    /// byte processing is a blocking [`Encryptor`]). Pass the plaintext length if known so a
    /// caching manager can account for it.
    pub async fn encryptor<W: Write>(
        &self,
        out: W,
        plaintext_length: Option<u64>,
        opts: &EncryptOptions,
    ) -> Result<Encryptor<W>> {
        let materials = self.encryption_materials(opts, plaintext_length).await?;
        let enc = Encryptor::new(out, &materials, opts.frame_length)?;
        Ok(match plaintext_length {
            Some(len) => enc.with_declared_length(len),
            None => enc,
        })
    }

    /// Encrypts an in-memory plaintext.
    pub async fn encrypt_bytes(&self, plaintext: &[u8], opts: &EncryptOptions) -> Result<Vec<u8>> {
        let out = Vec::with_capacity(plaintext.len() + plaintext.len() / 64 + 1024);
        let mut enc = self.encryptor(out, Some(plaintext.len() as u64), opts).await?;
        enc.update(plaintext)?;
        Ok(enc.finish()?.0)
    }

    /// Decrypts an in-memory message. Nothing is returned unless the whole message verified.
    pub async fn decrypt_bytes(&self, message: &[u8], opts: &DecryptOptions) -> Result<Decrypted> {
        let mut input = message;
        let header = self.read_header(&mut input, opts)?;
        let materials = self.decryption_materials(&header).await?;
        let dec = Decryptor::new(input, header, &materials, opts.max_frame_length)?;
        let mut plaintext = Vec::with_capacity(message.len());
        let summary = dec.decrypt_to(&mut plaintext, None)?;
        Ok(Decrypted { plaintext, header: summary.header })
    }

    /// Encrypts the file `input` into `output`. The message is written to a temporary file
    /// next to `output` and renamed into place only when complete.
    pub async fn encrypt_file(
        &self,
        input: &Path,
        output: &Path,
        opts: &EncryptOptions,
        progress: Option<Progress>,
    ) -> Result<EncryptSummary> {
        let len = tokio::fs::metadata(input).await?.len();
        let file = File::open(input)?;
        self.encrypt_to_file(file, Some(len), output, opts, progress).await
    }

    /// Encrypts any reader into the file `output` (temporary file + rename, as
    /// [`Self::encrypt_file`]). `plaintext_length` enables caching by bytes.
    pub async fn encrypt_to_file<R: Read + Send + 'static>(
        &self,
        input: R,
        plaintext_length: Option<u64>,
        output: &Path,
        opts: &EncryptOptions,
        progress: Option<Progress>,
    ) -> Result<EncryptSummary> {
        let materials = self.encryption_materials(opts, plaintext_length).await?;
        let output = output.to_path_buf();
        let frame_length = opts.frame_length;
        let threads = self.io_threads_for(materials.suite);
        blocking(move || {
            let input = ReadAhead::with_mode(input, threads)?;
            if is_special(&output) {
                // A device or FIFO (e.g. /dev/null): no rename possible; ciphertext is not secret.
                let out = WriteBehind::with_mode(std::fs::OpenOptions::new().write(true).open(&output)?, threads)?;
                let enc = declare(Encryptor::new(out, &materials, frame_length)?, plaintext_length);
                let (out, summary) = pump_encrypt(input, enc, progress)?;
                out.finish()?;
                return Ok(summary);
            }
            let out = WriteBehind::with_mode(temp_beside(&output)?, threads)?;
            let enc = declare(Encryptor::new(out, &materials, frame_length)?, plaintext_length);
            let (out, summary) = pump_encrypt(input, enc, progress)?;
            out.finish()?.persist(&output).map_err(|e| Error::Io(e.error))?;
            Ok(summary)
        })
        .await
    }

    /// Encrypts a stream (e.g. stdin) into a writer (e.g. stdout). With `plaintext_length`
    /// `None` a caching manager bypasses its cache, as the byte limit cannot be enforced.
    pub async fn encrypt_stream<R, W>(
        &self,
        input: R,
        out: W,
        plaintext_length: Option<u64>,
        opts: &EncryptOptions,
        progress: Option<Progress>,
    ) -> Result<(W, EncryptSummary)>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let materials = self.encryption_materials(opts, plaintext_length).await?;
        let frame_length = opts.frame_length;
        let threads = self.io_threads_for(materials.suite);
        blocking(move || {
            let input = ReadAhead::with_mode(input, threads)?;
            let out = WriteBehind::with_mode(out, threads)?;
            let enc = declare(Encryptor::new(out, &materials, frame_length)?, plaintext_length);
            let (out, summary) = pump_encrypt(input, enc, progress)?;
            Ok((out.finish()?, summary))
        })
        .await
    }

    /// Decrypts the file `input` into `output`. Plaintext goes to a temporary file next to
    /// `output` that is renamed into place only after the whole message, signature included,
    /// verified; on any error it is deleted.
    pub async fn decrypt_file(
        &self,
        input: &Path,
        output: &Path,
        opts: &DecryptOptions,
        progress: Option<Progress>,
    ) -> Result<DecryptSummary> {
        let file = File::open(input)?;
        self.decrypt_to_file(file, output, opts, progress).await
    }

    /// Decrypts any reader into the file `output` with the same guarantees as
    /// [`Self::decrypt_file`]. `output` must be (or become) a regular file: devices and FIFOs
    /// cannot be renamed into, so use the stream methods for them.
    pub async fn decrypt_to_file<R: Read + Send + 'static>(
        &self,
        input: R,
        output: &Path,
        opts: &DecryptOptions,
        progress: Option<Progress>,
    ) -> Result<DecryptSummary> {
        if is_special(output) {
            return Err(Error::Config(format!(
                "{} is not a regular file; decrypt to a stream instead",
                output.display()
            )));
        }
        let (reader, header) = self.read_stream_header(input, opts).await?;
        let materials = self.decryption_materials(&header).await?;
        let output = output.to_path_buf();
        let max = opts.max_frame_length;
        let threads = self.io_threads_for(header.suite);
        blocking(move || {
            let dec = Decryptor::new(reader, header, &materials, max)?;
            let mut out = WriteBehind::with_mode(temp_beside(&output)?, threads)?;
            let summary = run_decrypt(dec, &mut out, progress)?;
            // Renamed into place only now that everything verified; dropped (deleted) on error.
            out.finish()?.persist(&output).map_err(|e| Error::Io(e.error))?;
            Ok(summary)
        })
        .await
    }

    /// Decrypts a stream, releasing each frame's plaintext as soon as the frame authenticates.
    /// Only unsigned messages are accepted (a signed message's plaintext must not be released
    /// before its signature verifies; use [`Self::decrypt_stream_buffered`] for those).
    /// If the input turns out truncated or tampered after some frames, the error is returned
    /// after those frames were written: the consumer must honour the error.
    pub async fn decrypt_stream<R, W>(
        &self,
        input: R,
        out: W,
        opts: &DecryptOptions,
        progress: Option<Progress>,
    ) -> Result<(W, DecryptSummary)>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let opts = DecryptOptions { unsigned_only: true, ..opts.clone() };
        let (reader, header) = self.read_stream_header(input, &opts).await?;
        let materials = self.decryption_materials(&header).await?;
        let max = opts.max_frame_length;
        let threads = self.io_threads_for(header.suite);
        blocking(move || {
            let dec = Decryptor::new(reader, header, &materials, max)?;
            let mut out = WriteBehind::with_mode(out, threads)?;
            let summary = run_decrypt(dec, &mut out, progress)?;
            Ok((out.finish()?, summary))
        })
        .await
    }

    /// Decrypts a stream of any suite, holding the plaintext in an anonymous temporary file
    /// (memory stays flat) and copying it to `out` only after the whole message verified.
    pub async fn decrypt_stream_buffered<R, W>(
        &self,
        input: R,
        out: W,
        opts: &DecryptOptions,
        progress: Option<Progress>,
    ) -> Result<(W, DecryptSummary)>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let (reader, header) = self.read_stream_header(input, opts).await?;
        let materials = self.decryption_materials(&header).await?;
        let max = opts.max_frame_length;
        let threads = self.io_threads_for(header.suite);
        blocking(move || {
            let dec = Decryptor::new(reader, header, &materials, max)?;
            let mut spool = WriteBehind::with_mode(tempfile::tempfile()?, threads)?;
            let summary = run_decrypt(dec, &mut spool, progress)?;
            let mut spool = spool.finish()?;
            spool.seek(SeekFrom::Start(0))?;
            let mut out = out;
            std::io::copy(&mut spool, &mut out)?;
            out.flush()?;
            Ok((out, summary))
        })
        .await
    }

    async fn read_stream_header<R: Read + Send + 'static>(
        &self,
        input: R,
        opts: &DecryptOptions,
    ) -> Result<(ReadAhead, MessageHeader)> {
        let this = self.clone();
        let opts = opts.clone();
        blocking(move || {
            // Read the header inline; once the suite is known, maybe move reading to a thread.
            let mut reader = ReadAhead::with_mode(input, false)?;
            let header = this.read_header(&mut reader, &opts)?;
            if this.io_threads_for(header.suite) {
                reader.go_threaded()?;
            }
            Ok((reader, header))
        })
        .await
    }
}

/// Runs blocking work off the async reactor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Io(std::io::Error::other(format!("worker thread failed: {e}"))))?
}

/// Applies a known plaintext length to an encryptor.
fn declare<W: Write>(enc: Encryptor<W>, len: Option<u64>) -> Encryptor<W> {
    match len {
        Some(len) => enc.with_declared_length(len),
        None => enc,
    }
}

/// True for an existing path that is not a regular file (device, FIFO, socket).
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// A temporary file in the directory of `output`, deleted on drop unless persisted.
fn temp_beside(output: &Path) -> Result<tempfile::NamedTempFile> {
    let dir: PathBuf = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".partial").tempfile_in(dir)?)
}

/// Feeds the input's chunks through the encryptor.
fn pump_encrypt<W: Write>(
    mut input: ReadAhead,
    mut enc: Encryptor<W>,
    progress: Option<Progress>,
) -> Result<(W, EncryptSummary)> {
    let mut done = 0u64;
    input.for_each_chunk(|chunk| {
        enc.update(chunk)?;
        done += chunk.len() as u64;
        if let Some(p) = &progress {
            p(done);
        }
        Ok::<(), Error>(())
    })?;
    enc.finish()
}

fn run_decrypt<R: Read, W: Write>(
    dec: Decryptor<R>,
    out: &mut W,
    progress: Option<Progress>,
) -> Result<DecryptSummary> {
    match progress {
        Some(p) => {
            let mut f = move |n: u64| p(n);
            dec.decrypt_to(out, Some(&mut f))
        }
        None => dec.decrypt_to(out, None),
    }
}
