//! In-memory throughput of the encryptor and decryptor (no file I/O), per suite and frame
//! length: `cargo run --release -p trent-client --example throughput [MiB]`.
//! Used to separate crypto cost from I/O cost in BENCHMARKS.md.

use std::sync::Arc;
use std::time::Instant;

use trent_client::{
    AlgorithmSuite, ClientConfig, DecryptOptions, EncryptOptions, EnvelopeClient, RawAesKeyring, Stats,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> trent_client::Result<()> {
    let mib: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(256);
    let keyring = Arc::new(RawAesKeyring::new("bench", "k", &[7u8; 32])?);
    let client = EnvelopeClient::from_keyring(keyring, Arc::new(Stats::default()), &ClientConfig::default())?;
    let data = vec![0x5au8; mib << 20];
    let digest_start = Instant::now();
    let _ = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA384, &data);
    let sha = digest_start.elapsed().as_secs_f64();
    println!("SHA-384 alone: {:.0} MB/s", data.len() as f64 / sha / 1e6);
    for block in [4096usize, 16384, 65536] {
        use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &[1u8; 32]).map_err(|_| trent_client::Error::Crypto("key"))?,
        );
        let mut buf = vec![0u8; block];
        let rounds = (512usize << 20) / block;
        let t = Instant::now();
        for i in 0..rounds {
            let mut iv = [0u8; 12];
            iv[8..].copy_from_slice(&(i as u32).to_be_bytes());
            let _ = key.seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(&[1u8; 80]), &mut buf);
        }
        let s = t.elapsed().as_secs_f64();
        println!("raw AES-256-GCM {block:>6} B blocks: {:.0} MB/s", (rounds * block) as f64 / s / 1e6);
    }
    for suite in [AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384] {
        for frame in [4096u32, 65536, 1 << 20] {
            let opts = EncryptOptions { suite: Some(suite), frame_length: frame, ..EncryptOptions::default() };
            let t = Instant::now();
            let msg = client.encrypt_bytes(&data, &opts).await?;
            let enc = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let out = client.decrypt_bytes(&msg, &DecryptOptions::default()).await?;
            let dec = t.elapsed().as_secs_f64();
            assert_eq!(out.plaintext.len(), data.len());
            println!(
                "{:#06x} frame {:>7}: encrypt {:>6.0} MB/s, decrypt {:>6.0} MB/s",
                suite.id(),
                frame,
                data.len() as f64 / enc / 1e6,
                data.len() as f64 / dec / 1e6
            );
        }
    }
    Ok(())
}
