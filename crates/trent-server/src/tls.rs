//! HTTPS for `trent serve`: a certificate and key from files
//! (`--tls-cert`, `--tls-key`), or `--tls self-signed`, which makes a small
//! certificate authority and a server certificate for the listen address,
//! `localhost` and the loopback addresses, keeps them in `DATA_DIR/tls/`
//! (reused on the next start, so clients keep trusting them) and names the
//! CA file to give clients as `AWS_CA_BUNDLE`. rustls on aws-lc-rs.

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// `[tls]` in the config file (the `--tls*` flags of `trent serve` set it).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the server certificate (and its chain).
    pub cert_file: Option<PathBuf>,
    /// PEM file with the private key.
    pub key_file: Option<PathBuf>,
    /// Make (or reuse) a certificate in `DATA_DIR/tls/`.
    #[serde(default)]
    pub self_signed: bool,
}

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Both or neither of the ways were asked for, or half of one.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A PEM file holds no usable certificate or key.
    #[error("{0}")]
    Pem(String),
    /// rustls refused the certificate and key.
    #[error("TLS setup: {0}")]
    Rustls(String),
}

/// The acceptor, and the file clients should trust (self-signed only).
pub struct Tls {
    /// Wraps each accepted connection.
    pub acceptor: TlsAcceptor,
    /// `DATA_DIR/tls/ca.pem` for `--tls self-signed`.
    pub ca_bundle: Option<PathBuf>,
}

impl TlsConfig {
    /// Whether HTTPS was asked for at all.
    pub fn enabled(&self) -> bool {
        self.self_signed || self.cert_file.is_some() || self.key_file.is_some()
    }
}

/// A file error naming the file.
fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError {
    let path = path.to_owned();
    move |source| TlsError::Io { path, source }
}

/// Sets up HTTPS as `config` asks, for a server listening on `listen` with
/// its data in `data_dir`.
pub fn setup(config: &TlsConfig, listen: SocketAddr, data_dir: &Path) -> Result<Tls, TlsError> {
    let (cert, key, ca_bundle) = match (config.self_signed, &config.cert_file, &config.key_file) {
        (true, None, None) => {
            let (cert, key, ca) = self_signed(listen, data_dir)?;
            // Printed for clients that run elsewhere: an absolute path.
            let ca = ca.canonicalize().map_err(|source| TlsError::Io { path: ca.clone(), source })?;
            (cert, key, Some(ca))
        }
        (false, Some(c), Some(k)) => (c.clone(), k.clone(), None),
        (true, _, _) => {
            return Err(TlsError::Config("--tls self-signed and --tls-cert/--tls-key exclude each other".into()));
        }
        _ => return Err(TlsError::Config("--tls-cert and --tls-key go together".into())),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| TlsError::Pem(format!("{}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(TlsError::Pem(format!("{} holds no certificate", cert.display())));
    }
    fs::metadata(&key).map_err(io(&key))?;
    let private = PrivateKeyDer::from_pem_file(&key).map_err(|e| TlsError::Pem(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let mut server = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(server)), ca_bundle })
}

/// `DATA_DIR/tls/{ca,cert,key}.pem`, made on first use: a CA and a server
/// certificate it signed for `listen`, `localhost`, 127.0.0.1 and ::1.
fn self_signed(listen: SocketAddr, data_dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf), TlsError> {
    let dir = data_dir.join("tls");
    let (ca, cert, key) = (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"));
    if ca.exists() && cert.exists() && key.exists() {
        return Ok((cert, key, ca));
    }
    fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(io(&dir))?;
    let gen_err = |e: rcgen::Error| TlsError::Rustls(format!("making the certificate: {e}"));
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Trent local CA");
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca_key = rcgen::KeyPair::generate().map_err(gen_err)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(gen_err)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let ip = listen.ip().to_string();
    if !listen.ip().is_unspecified() && !names.contains(&ip) {
        names.push(ip);
    }
    let mut params = rcgen::CertificateParams::new(names).map_err(gen_err)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "Trent");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = rcgen::KeyPair::generate().map_err(gen_err)?;
    let server_cert = params.signed_by(&server_key, &issuer).map_err(gen_err)?;
    write_new(&key, server_key.serialize_pem().as_bytes(), 0o600).map_err(io(&key))?;
    // The chain a client needs besides the CA: the server certificate.
    write_new(&cert, server_cert.pem().as_bytes(), 0o644).map_err(io(&cert))?;
    write_new(&ca, ca_cert.pem().as_bytes(), 0o644).map_err(io(&ca))?;
    Ok((cert, key, ca))
}

/// Writes `bytes` to `path` (replacing a leftover of an interrupted start), synced.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// What a request's TLS connection negotiated, in the words of CloudTrail's
/// `tlsDetails` (`TLSv1.3`, `TLS_AES_128_GCM_SHA256`; TLS 1.2 suites by
/// their OpenSSL names, `ECDHE-RSA-AES128-GCM-SHA256`). The accept loop puts
/// it in each request's extensions so the audit log can record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsDetails {
    /// The protocol version.
    pub version: &'static str,
    /// The cipher suite.
    pub cipher_suite: &'static str,
}

impl TlsDetails {
    /// The details of an established server connection.
    pub fn of(conn: &tokio_rustls::rustls::ServerConnection) -> Self {
        use tokio_rustls::rustls::{CipherSuite, ProtocolVersion};
        let version = match conn.protocol_version() {
            Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "",
        };
        let suite = conn.negotiated_cipher_suite().map(|s| s.suite());
        let cipher_suite = match suite {
            Some(CipherSuite::TLS13_AES_128_GCM_SHA256) => "TLS_AES_128_GCM_SHA256",
            Some(CipherSuite::TLS13_AES_256_GCM_SHA384) => "TLS_AES_256_GCM_SHA384",
            Some(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256) => "TLS_CHACHA20_POLY1305_SHA256",
            Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) => "ECDHE-ECDSA-AES128-GCM-SHA256",
            Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) => "ECDHE-ECDSA-AES256-GCM-SHA384",
            Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256) => "ECDHE-ECDSA-CHACHA20-POLY1305",
            Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) => "ECDHE-RSA-AES128-GCM-SHA256",
            Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) => "ECDHE-RSA-AES256-GCM-SHA384",
            Some(CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256) => "ECDHE-RSA-CHACHA20-POLY1305",
            Some(other) => other.as_str().unwrap_or(""),
            None => "",
        };
        Self { version, cipher_suite }
    }
}
