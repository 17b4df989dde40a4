//! A/B of file I/O with and without the read-ahead/write-behind threads, alternating runs in
//! one process so both see the same machine load:
//! `cargo run --release -p trent-client --example io_modes -- /dev/shm/plain.bin [rounds]`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use trent_client::{
    AlgorithmSuite, ClientConfig, DecryptOptions, EncryptOptions, EnvelopeClient, RawAesKeyring, Stats,
};

#[tokio::main]
async fn main() -> trent_client::Result<()> {
    let mut args = std::env::args().skip(1);
    let input = PathBuf::from(args.next().unwrap_or_else(|| "/dev/shm/plain.bin".into()));
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let len = std::fs::metadata(&input)?.len() as f64;
    let enc_path = input.with_extension("ab.enc");
    let dec_path = input.with_extension("ab.dec");
    let keyring = Arc::new(RawAesKeyring::new("bench", "k", &[7u8; 32])?);
    let base = EnvelopeClient::from_keyring(keyring, Arc::new(Stats::default()), &ClientConfig::default())?;
    for suite in [AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384] {
        let opts = EncryptOptions { suite: Some(suite), ..EncryptOptions::default() };
        let mut best = [[f64::MAX; 2]; 2];
        for _ in 0..rounds {
            for (i, threads) in [true, false].into_iter().enumerate() {
                let client = base.clone().with_io_threads(threads);
                let t = Instant::now();
                client.encrypt_file(&input, &enc_path, &opts, None).await?;
                best[i][0] = best[i][0].min(t.elapsed().as_secs_f64());
                let t = Instant::now();
                client.decrypt_file(&enc_path, &dec_path, &DecryptOptions::default(), None).await?;
                best[i][1] = best[i][1].min(t.elapsed().as_secs_f64());
            }
        }
        for (i, mode) in ["io threads", "sequential"].into_iter().enumerate() {
            println!(
                "{:#06x} {mode:>10}: encrypt {:>5.0} MB/s, decrypt {:>5.0} MB/s",
                suite.id(),
                len / best[i][0] / 1e6,
                len / best[i][1] / 1e6
            );
        }
    }
    let _ = std::fs::remove_file(enc_path);
    let _ = std::fs::remove_file(dec_path);
    Ok(())
}
