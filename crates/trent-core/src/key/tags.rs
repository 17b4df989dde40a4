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

/// Service rules beyond the model, in AWS's words: no key twice in one
/// request, no key starting `aws:` in any letter case; then merges the new
/// tags into `existing` (a new value replaces an old one), refusing more than
/// [`MAX_TAGS`] in all.
pub fn merge(existing: &mut Vec<Tag>, new: &[TagInput]) -> KmsResult<()> {
    let keys: Vec<&str> = new.iter().filter_map(|t| t.tag_key.as_deref()).collect();
    if keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k)) {
        return Err(KmsError::new(ErrorKind::Tag, "Duplicate tag keys"));
    }
    if keys.iter().any(|k| k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))) {
        return Err(KmsError::new(ErrorKind::Tag, "Tags beginning with aws: are reserved"));
    }
    for t in new {
        let (Some(k), Some(val)) = (&t.tag_key, &t.tag_value) else { continue };
        match existing.iter_mut().find(|e| &e.tag_key == k) {
            Some(e) => e.tag_value = val.clone(),
            None => existing.push(Tag { tag_key: k.clone(), tag_value: val.clone() }),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(KmsError::new(ErrorKind::Tag, "Too many tags"));
    }
    Ok(())
}
