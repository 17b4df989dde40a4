//! Tag validation shared by CreateKey and TagResource.

use crate::error::{ErrorKind, KmsError, KmsResult};
use crate::key::model::Tag;
use crate::wire::validate::Validator;

/// Most tags one key may carry (AWS: 50).
pub const MAX_TAGS: usize = 50;

/// A tag as it arrives in a request (members optional so absence is a validation error).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    /// Tag key.
    pub tag_key: Option<String>,
    /// Tag value.
    pub tag_value: Option<String>,
}

/// Model constraints of a tag list, with AWS's member paths (`tags.1.member.tagKey`).
pub fn validate(v: &mut Validator, tags: Option<&[TagInput]>) {
    for (i, t) in tags.unwrap_or_default().iter().enumerate() {
        let p = format!("tags.{}.member", i + 1);
        v.required(&format!("{p}.tagKey"), &t.tag_key);
        v.required(&format!("{p}.tagValue"), &t.tag_value);
        v.str_len(&format!("{p}.tagKey"), t.tag_key.as_deref(), 1, 128);
        v.str_len(&format!("{p}.tagValue"), t.tag_value.as_deref(), 0, 256);
    }
}

/// Service rules beyond the model: reserved `aws:` prefix, and merges new tags
/// into `existing` (a new value replaces an old one), refusing more than 50.
pub fn merge(existing: &mut Vec<Tag>, new: &[TagInput]) -> KmsResult<()> {
    for t in new {
        let (Some(k), Some(val)) = (&t.tag_key, &t.tag_value) else { continue };
        if k.starts_with("aws:") {
            return Err(KmsError::new(ErrorKind::Tag, "Tags beginning with aws: are reserved."));
        }
        match existing.iter_mut().find(|e| &e.tag_key == k) {
            Some(e) => e.tag_value = val.clone(),
            None => existing.push(Tag { tag_key: k.clone(), tag_value: val.clone() }),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(KmsError::new(ErrorKind::Tag, format!("A key can have at most {MAX_TAGS} tags.")));
    }
    Ok(())
}
