//! The ESDK message format: header, body frames and footer.

pub(crate) mod body;
pub mod header;
pub(crate) mod reader;
