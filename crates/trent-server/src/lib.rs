//! Trent's HTTP front end: SigV4 verification, the AWS JSON 1.1 codec,
//! `X-Amz-Target` dispatch to the KMS and Service Quotas APIs, metrics, the
//! live quota dashboard and the CloudTrail-format audit log.

pub mod admin_answer;
pub mod audit;
pub mod config;
pub mod dashboard;
pub mod faults;
pub mod http;
pub mod listener;
pub mod loopback;
pub mod maintenance;
pub mod metrics;
pub mod parse_errors;
pub mod reset;
pub mod root_key_canary;
pub mod root_key_file;
pub mod server;
pub mod sigv4;
pub mod sts;
pub mod tls;
