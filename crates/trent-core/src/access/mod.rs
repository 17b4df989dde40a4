//! Who may do what: the caller of a request, key policies, grants, and the
//! authorization decision that combines them.

pub mod authorize;
pub mod caller;
pub mod grant_list;
pub mod grants;
pub mod policy;
