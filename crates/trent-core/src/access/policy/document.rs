//! Parsing and validating a key policy document into a [`KeyPolicy`].

use serde_json::{Map, Value};

use super::action::ActionPattern;
use super::condition::ConditionBlock;
use super::json::{malformed, string_or_array};
use super::principal::{Principal, parse_principals};
use super::resource::ResourcePattern;
use crate::error::KmsResult;

/// The members a policy document may have.
const DOCUMENT_MEMBERS: [&str; 3] = ["Version", "Id", "Statement"];
/// The members a statement may have.
const STATEMENT_MEMBERS: [&str; 9] =
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

/// A parsed, validated key policy.
///
/// Parsing does all the validation and compiles every pattern, so evaluating
/// it many times is cheap; it owns its data, so it is `Send + Sync` and can
/// be cached alongside the key.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    pub(crate) statements: Vec<Statement>,
}

/// Whether a matching statement grants or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// A list-valued element that may be negated (`Principal` / `NotPrincipal`,
/// `Action` / `NotAction`, `Resource` / `NotResource`).
#[derive(Debug, Clone)]
pub(crate) struct Element<T> {
    /// Whether the element was written in its `Not…` form.
    pub(crate) negated: bool,
    pub(crate) items: Vec<T>,
}

impl<T> Element<T> {
    /// Whether the element covers a request: some item matches, or, for the
    /// `Not…` form, none does.
    pub(crate) fn covers(&self, matches: impl FnMut(&T) -> bool) -> bool {
        self.items.iter().any(matches) != self.negated
    }
}

/// One validated statement.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) effect: Effect,
    pub(crate) principals: Element<Principal>,
    pub(crate) actions: Element<ActionPattern>,
    pub(crate) resources: Element<ResourcePattern>,
    pub(crate) conditions: ConditionBlock,
}

impl KeyPolicy {
    /// Parses and validates a key policy document. Every error is a
    /// `MalformedPolicyDocumentException` (the caller checks the size limit).
    pub fn parse(text: &str) -> KmsResult<KeyPolicy> {
        let doc: Value = serde_json::from_str(text).map_err(|_| malformed("The policy document is not valid JSON."))?;
        let Value::Object(doc) = doc else {
            return Err(malformed("The policy document must be a JSON object."));
        };
        reject_unknown(&doc, &DOCUMENT_MEMBERS, "Policy contains an unknown element")?;
        if let Some(version) = doc.get("Version")
            && !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17"))
        {
            return Err(malformed(format!(
                "Policy contains an invalid Version: {}. The Version must be \"2012-10-17\" or \"2008-10-17\".",
                show(version)
            )));
        }
        if doc.get("Id").is_some_and(|id| !id.is_string()) {
            return Err(malformed("The policy Id must be a string."));
        }
        let statements = match doc.get("Statement") {
            None => return Err(malformed("The policy document must contain a Statement.")),
            Some(statement @ Value::Object(_)) => vec![parse_statement(statement)?],
            Some(Value::Array(items)) if items.is_empty() => {
                return Err(malformed("The policy document must contain at least one statement."));
            }
            Some(Value::Array(items)) => items.iter().map(parse_statement).collect::<KmsResult<_>>()?,
            Some(_) => return Err(malformed("The Statement element must be an object or an array of objects.")),
        };
        Ok(KeyPolicy { statements })
    }
}

fn parse_statement(value: &Value) -> KmsResult<Statement> {
    let Value::Object(st) = value else {
        return Err(malformed("Each policy statement must be a JSON object."));
    };
    reject_unknown(st, &STATEMENT_MEMBERS, "Policy statement contains an unknown element")?;
    if st.get("Sid").is_some_and(|sid| !sid.is_string()) {
        return Err(malformed("Policy statement Sid must be a string."));
    }
    let effect = match st.get("Effect") {
        None => return Err(malformed("Policy statement is missing the required Effect element.")),
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(malformed(format!(
                "Policy statement has an invalid Effect: {}. The Effect must be \"Allow\" or \"Deny\".",
                show(other)
            )));
        }
    };
    let (negated, value) = one_of(st, "Principal", "NotPrincipal")?;
    let principals = Element { negated, items: parse_principals(value)? };
    let (negated, value) = one_of(st, "Action", "NotAction")?;
    let items = strings(value, negated, "Action")?.into_iter().map(ActionPattern::parse).collect::<KmsResult<_>>()?;
    let actions = Element { negated, items };
    let (negated, value) = one_of(st, "Resource", "NotResource")?;
    let items =
        strings(value, negated, "Resource")?.into_iter().map(ResourcePattern::parse).collect::<KmsResult<_>>()?;
    let resources = Element { negated, items };
    let conditions = st.get("Condition").map(ConditionBlock::parse).transpose()?.unwrap_or_default();
    Ok(Statement { effect, principals, actions, resources, conditions })
}

/// Fails on the first member of `object` not in `known`.
fn reject_unknown(object: &Map<String, Value>, known: &[&str], message: &str) -> KmsResult<()> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(malformed(format!("{message}: {k}."))),
        None => Ok(()),
    }
}

/// The value of exactly one of `element` / `not_element`, and whether it was the `Not` form.
fn one_of<'a>(st: &'a Map<String, Value>, element: &str, not_element: &str) -> KmsResult<(bool, &'a Value)> {
    match (st.get(element), st.get(not_element)) {
        (Some(v), None) => Ok((false, v)),
        (None, Some(v)) => Ok((true, v)),
        (None, None) => Err(malformed(format!("Policy statement is missing the required {element} element."))),
        (Some(_), Some(_)) => {
            Err(malformed(format!("Policy statement must not contain both {element} and {not_element}.")))
        }
    }
}

/// The strings of an Action/Resource-like element.
fn strings<'a>(value: &'a Value, negated: bool, element: &str) -> KmsResult<Vec<&'a str>> {
    string_or_array(value).ok_or_else(|| {
        let name = if negated { format!("Not{element}") } else { element.to_owned() };
        malformed(format!("Policy statement {name} element must be a string or a non-empty array of strings."))
    })
}

/// A JSON value for an error message: strings without their quotes.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
