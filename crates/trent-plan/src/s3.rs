//! The KMS calls Amazon S3 makes on a customer's behalf for SSE-KMS objects,
//! as AWS documents them (Amazon S3 User Guide, "Using server-side encryption
//! with AWS KMS keys" and "Reducing the cost of SSE-KMS with Amazon S3 Bucket
//! Keys"; AWS Knowledge Center, "Why do I need permission to decrypt the AWS
//! KMS key when I run Amazon S3 multipart uploads with SSE-KMS?"):
//!
//! * without an S3 Bucket Key, S3 uses one data key per object and calls KMS
//!   on every request against a KMS-encrypted object: `PutObject` →
//!   one `GenerateDataKey`, `GetObject` → one `Decrypt`;
//! * a multipart upload calls `GenerateDataKey` once (`CreateMultipartUpload`)
//!   and `Decrypt` for every `UploadPart` (S3 needs the data key of the earlier
//!   parts to encrypt the next one);
//! * with an S3 Bucket Key, S3 fetches a short-lived bucket-level key from KMS
//!   and derives object data keys from it for a limited time, at least once per
//!   requester (a different role or account, or the same role with another
//!   scoping policy, is another requester). AWS does not publish how long the
//!   bucket-level key is reused: [`S3Traffic::bucket_key_reuse_seconds`] is
//!   that period, Trent's assumption (default [`DEFAULT_BUCKET_KEY_REUSE_SECONDS`]).
//!
//! The calls count against the *caller's* account quota: S3 calls KMS on the
//! requester's behalf. Every call here is symmetric (SSE-KMS keys are
//! symmetric), so it draws on the symmetric cryptographic-operations pool.
//!
//! This is the one S3 → KMS model: `trent plan` forecasts with it and
//! `trent load --scenario s3-sse-kms` turns object rates into KMS requests
//! with it.

use serde::Serialize;

/// Assumed reuse period of an S3 bucket-level key, seconds. AWS says only
/// "a limited time period"; 60 s errs towards more KMS calls.
pub const DEFAULT_BUCKET_KEY_REUSE_SECONDS: f64 = 60.0;

/// S3 object traffic on SSE-KMS buckets, per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct S3Traffic {
    /// Single-request uploads (`PutObject`, `CopyObject` destinations).
    pub put_per_second: f64,
    /// Downloads (`GetObject`, `HeadObject` is free of KMS calls and not counted).
    pub get_per_second: f64,
    /// Multipart uploads started per second.
    pub multipart_per_second: f64,
    /// Parts per multipart upload (each `UploadPart` decrypts the upload's data key).
    pub parts_per_upload: f64,
    /// Whether the buckets use S3 Bucket Keys.
    pub bucket_key: bool,
    /// Buckets the traffic is spread over (each has its own bucket-level key).
    pub buckets: f64,
    /// Distinct requesters (roles/accounts/scoping policies): each fetches its own bucket-level key.
    pub requesters: f64,
    /// How long S3 reuses one bucket-level key (assumed; see the module doc).
    pub bucket_key_reuse_seconds: f64,
}

impl Default for S3Traffic {
    fn default() -> Self {
        Self {
            put_per_second: 0.0,
            get_per_second: 0.0,
            multipart_per_second: 0.0,
            parts_per_upload: 1.0,
            bucket_key: false,
            buckets: 1.0,
            requesters: 1.0,
            bucket_key_reuse_seconds: DEFAULT_BUCKET_KEY_REUSE_SECONDS,
        }
    }
}

/// The KMS requests per second S3 makes for some traffic.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct KmsCalls {
    /// `GenerateDataKey` per second.
    pub generate_data_key: f64,
    /// `Decrypt` per second.
    pub decrypt: f64,
}

impl KmsCalls {
    /// Both together: the draw on the symmetric pool.
    pub fn total(&self) -> f64 {
        self.generate_data_key + self.decrypt
    }
}

impl S3Traffic {
    /// The same traffic with or without S3 Bucket Keys.
    pub fn with_bucket_key(self, bucket_key: bool) -> Self {
        Self { bucket_key, ..self }
    }

    /// The KMS requests S3 makes for this traffic (expected rates).
    pub fn kms_calls(&self) -> KmsCalls {
        let writes = self.put_per_second + self.multipart_per_second;
        let per_object = KmsCalls {
            generate_data_key: writes,
            decrypt: self.get_per_second + self.multipart_per_second * self.parts_per_upload,
        };
        if !self.bucket_key {
            return per_object;
        }
        // One bucket-level key per bucket and requester per reuse period: a
        // GenerateDataKey when it writes, a Decrypt of the bucket key when it
        // reads objects (or continues a multipart upload). Never more than
        // without Bucket Keys (a trickle of objects calls KMS per object).
        let keys_per_second = self.buckets * self.requesters / self.bucket_key_reuse_seconds.max(f64::MIN_POSITIVE);
        let reads = self.get_per_second + self.multipart_per_second;
        KmsCalls {
            generate_data_key: if writes > 0.0 { keys_per_second.min(per_object.generate_data_key) } else { 0.0 },
            decrypt: if reads > 0.0 { keys_per_second.min(per_object.decrypt) } else { 0.0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_bucket_keys_every_object_request_calls_kms() {
        let t = S3Traffic {
            put_per_second: 10_000.0,
            get_per_second: 2_000.0,
            multipart_per_second: 10.0,
            parts_per_upload: 8.0,
            ..S3Traffic::default()
        };
        let c = t.kms_calls();
        assert_eq!(c.generate_data_key, 10_010.0);
        assert_eq!(c.decrypt, 2_080.0);
        assert_eq!(c.total(), 12_090.0);
    }

    #[test]
    fn bucket_keys_cut_calls_to_one_per_bucket_requester_and_period() {
        let t = S3Traffic { put_per_second: 10_000.0, get_per_second: 5_000.0, ..S3Traffic::default() };
        let with = t.with_bucket_key(true).kms_calls();
        assert!((with.generate_data_key - 1.0 / 60.0).abs() < 1e-12);
        assert!((with.decrypt - 1.0 / 60.0).abs() < 1e-12);
        assert!(t.kms_calls().total() / with.total() > 100_000.0, "orders of magnitude");
        // A trickle never costs more with Bucket Keys than without.
        let trickle = S3Traffic { put_per_second: 0.001, buckets: 50.0, bucket_key: true, ..S3Traffic::default() };
        assert_eq!(trickle.kms_calls().generate_data_key, 0.001);
        assert_eq!(trickle.kms_calls().decrypt, 0.0);
    }
}
