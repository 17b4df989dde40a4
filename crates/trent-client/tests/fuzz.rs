//! Property-based fuzzing of the AWS Encryption SDK message parsers on
//! stable Rust: any bytes, and real messages with bytes changed, cut, added
//! or spliced in (lengths, counts and frame numbers included), decrypt to an
//! error, never a panic and never plaintext. `TRENT_FUZZ_CASES` cases
//! (default 256); `scripts/fuzz.sh` runs many more.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use trent_client::{AlgorithmSuite, CommitmentPolicy, DecryptOptions, EncryptOptions};

fn cases() -> u32 {
    std::env::var("TRENT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

/// One change to a message.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Cut(usize, usize),
    /// A big-endian length or count written over two or four bytes.
    Length(usize, u32, bool),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Edit::Set(i, v)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, v)| Edit::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Cut(i, n)),
        (any::<usize>(), prop_oneof![Just(0u32), Just(1), Just(0xFFFF), Just(u32::MAX), any::<u32>()], any::<bool>())
            .prop_map(|(i, v, wide)| Edit::Length(i, v, wide)),
    ]
}

fn apply(message: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut m = message.to_vec();
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match e {
            Edit::Set(i, v) if !m.is_empty() => {
                let i = at(*i, m.len());
                m[i] = *v;
            }
            Edit::Insert(i, v) => {
                let i = at(*i, m.len() + 1);
                m.splice(i..i, v.iter().copied());
            }
            Edit::Cut(i, n) if !m.is_empty() => {
                let i = at(*i, m.len());
                let end = (i + n).min(m.len());
                m.drain(i..end);
            }
            Edit::Length(i, v, wide) if m.len() >= 4 => {
                let i = at(*i, m.len() - 3);
                if *wide {
                    m[i..i + 4].copy_from_slice(&v.to_be_bytes());
                } else {
                    m[i..i + 2].copy_from_slice(&(*v as u16).to_be_bytes());
                }
            }
            _ => {}
        }
    }
    m
}

#[test]
fn changed_or_arbitrary_messages_decrypt_to_an_error() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let kms = kms();
    let c = client(&kms, strict(&[KEY1]), &policy(CommitmentPolicy::RequireEncryptAllowDecrypt));
    let mut messages = vec![];
    for (suite, len, frame) in [
        (AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, 100, 32),
        (AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384, 300, 128),
        (AlgorithmSuite::Aes256GcmHkdfSha512CommitKey, 0, 4096),
    ] {
        let opts =
            EncryptOptions { encryption_context: ec(&[("purpose", "fuzz")]), suite: Some(suite), frame_length: frame };
        messages.push(rt.block_on(c.encrypt_bytes(&data(len), &opts)).unwrap());
    }
    let config = ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let strategy = prop_oneof![
        4 => (0..messages.len(), proptest::collection::vec(edit(), 1..4))
            .prop_map(move |(which, edits)| (which, edits, None)),
        1 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(|bytes| (0, vec![], Some(bytes))),
    ];
    runner
        .run(&strategy, |(which, edits, raw)| {
            let input = match raw {
                Some(bytes) => bytes,
                None => apply(&messages[which], &edits),
            };
            if messages.contains(&input) {
                return Ok(()); // the edits cancelled out
            }
            let out = rt.block_on(c.decrypt_bytes(&input, &DecryptOptions::default()));
            prop_assert!(out.is_err(), "a changed message decrypted ({edits:?})");
            Ok(())
        })
        .unwrap();
}
