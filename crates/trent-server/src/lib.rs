//! Trent's HTTP front end: SigV4 verification, the AWS JSON 1.1 codec,
//! `X-Amz-Target` dispatch to the KMS and Service Quotas APIs.

pub mod sigv4;
