//! Request and response shapes shared by the operations: validation with
//! AWS's wording, blobs, and base64 byte fields.

pub mod aws_enum;
pub mod b64;
pub mod blob;
pub mod pagination;
pub mod validate;
