//! The Condition element: `{Operator: {Key: value-or-values}}`, compiled once
//! and evaluated against a request's [`ConditionContext`].

use serde_json::Value;

use super::context::ConditionContext;
use super::glob::Glob;
use super::json::{malformed, scalar_or_array};
use super::operator::{BaseOperator, Operator, SetQualifier};
use super::scalar::{Cidr, parse_date, parse_number};
use crate::error::KmsResult;

/// An ordering test between a request value and a policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Comparison::Equal => request == policy,
            Comparison::Less => request < policy,
            Comparison::LessOrEqual => request <= policy,
            Comparison::Greater => request > policy,
            Comparison::GreaterOrEqual => request >= policy,
        }
    }
}

/// The policy values of one condition, compiled for the operator's
/// positive form (a negated operator inverts the result per request value).
#[derive(Debug, Clone)]
enum Matcher {
    /// `String(Not)Equals`, `BinaryEquals`: exact, case-sensitive.
    Equals(Vec<String>),
    /// `String(Not)EqualsIgnoreCase`: values stored lowercased.
    EqualsIgnoreCase(Vec<String>),
    /// `String(Not)Like`: case-sensitive wildcards.
    Like(Vec<Glob>),
    /// `Arn(Not)Equals`, `Arn(Not)Like`: segment-aware ARN wildcards (IAM
    /// treats both the same).
    Arn(Vec<Glob>),
    /// `Bool`: `true` / `false`, case-insensitively.
    Bool(Vec<String>),
    /// `Numeric*`.
    Numeric(Comparison, Vec<f64>),
    /// `Date*`, in epoch milliseconds.
    Date(Comparison, Vec<i64>),
    /// `(Not)IpAddress`.
    Ip(Vec<Cidr>),
    /// `Null`: `Some(true)` expects the key absent, `Some(false)` present;
    /// `None` (a value other than true/false) never holds.
    Null(Vec<Option<bool>>),
}

impl Matcher {
    /// Compiles the policy values for `base`; `Err` carries the first value
    /// the operator cannot take.
    fn build(base: BaseOperator, values: Vec<String>) -> Result<Matcher, String> {
        use BaseOperator::*;
        fn each<T>(values: Vec<String>, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
            values.into_iter().map(|v| parse(&v).ok_or(v)).collect()
        }
        let numeric = |cmp| Ok(Matcher::Numeric(cmp, each(values.clone(), parse_number)?));
        let date = |cmp| Ok(Matcher::Date(cmp, each(values.clone(), parse_date)?));
        match base {
            StringEquals | StringNotEquals | BinaryEquals => Ok(Matcher::Equals(values)),
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                Ok(Matcher::EqualsIgnoreCase(values.iter().map(|v| v.to_lowercase()).collect()))
            }
            StringLike | StringNotLike => Ok(Matcher::Like(values.iter().map(|v| Glob::text(v)).collect())),
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
                Ok(Matcher::Arn(values.iter().map(|v| Glob::arn(v)).collect()))
            }
            Bool => Ok(Matcher::Bool(values)),
            NumericEquals | NumericNotEquals => numeric(Comparison::Equal),
            NumericLessThan => numeric(Comparison::Less),
            NumericLessThanEquals => numeric(Comparison::LessOrEqual),
            NumericGreaterThan => numeric(Comparison::Greater),
            NumericGreaterThanEquals => numeric(Comparison::GreaterOrEqual),
            DateEquals | DateNotEquals => date(Comparison::Equal),
            DateLessThan => date(Comparison::Less),
            DateLessThanEquals => date(Comparison::LessOrEqual),
            DateGreaterThan => date(Comparison::Greater),
            DateGreaterThanEquals => date(Comparison::GreaterOrEqual),
            IpAddress | NotIpAddress => Ok(Matcher::Ip(each(values, Cidr::parse)?)),
            Null => Ok(Matcher::Null(
                values
                    .iter()
                    .map(|v| match v.to_ascii_lowercase().as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    })
                    .collect(),
            )),
        }
    }

    /// Whether one request value matches any policy value (positive form).
    fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Equals(ps) => ps.iter().any(|p| p == value),
            Matcher::EqualsIgnoreCase(ps) => {
                let value = value.to_lowercase();
                ps.contains(&value)
            }
            Matcher::Like(gs) | Matcher::Arn(gs) => gs.iter().any(|g| g.is_match(value)),
            Matcher::Bool(ps) => ps.iter().any(|p| p.eq_ignore_ascii_case(value)),
            Matcher::Numeric(cmp, ps) => parse_number(value).is_some_and(|n| ps.iter().any(|&p| cmp.holds(n, p))),
            Matcher::Date(cmp, ps) => parse_date(value).is_some_and(|d| ps.iter().any(|&p| cmp.holds(d, p))),
            Matcher::Ip(cs) => cs.iter().any(|c| c.contains(value)),
            Matcher::Null(_) => false,
        }
    }
}

/// One `Operator: {Key: values}` test.
#[derive(Debug, Clone)]
struct Condition {
    /// The condition key, lowercased.
    key: String,
    operator: Operator,
    matcher: Matcher,
}

impl Condition {
    /// Whether the request satisfies this test. An empty value list counts as
    /// an absent key.
    fn holds(&self, ctx: &ConditionContext) -> bool {
        let values = ctx.get_lowercased(&self.key).filter(|v| !v.is_empty());
        if let Matcher::Null(expected) = &self.matcher {
            let absent = values.is_none();
            return expected.contains(&Some(absent));
        }
        let negated = self.operator.base.is_negated();
        let Some(values) = values else {
            return self.operator.if_exists
                || match self.operator.qualifier {
                    Some(SetQualifier::ForAllValues) => true,
                    Some(SetQualifier::ForAnyValue) => false,
                    None => negated,
                };
        };
        let satisfies = |v: &String| self.matcher.matches(v) != negated;
        match self.operator.qualifier {
            Some(SetQualifier::ForAnyValue) => values.iter().any(satisfies),
            Some(SetQualifier::ForAllValues) => values.iter().all(satisfies),
            // Unqualified: a positive operator holds if any request value
            // matches; a negated one is its exact inverse, so it holds only if
            // no request value matches.
            None if negated => values.iter().all(satisfies),
            None => values.iter().any(satisfies),
        }
    }
}

/// A statement's whole Condition element: every test must hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConditionBlock(Vec<Condition>);

impl ConditionBlock {
    /// Parses and compiles a Condition element.
    pub(crate) fn parse(value: &Value) -> KmsResult<ConditionBlock> {
        let Value::Object(operators) = value else {
            return Err(malformed(
                "The Condition element must be an object mapping condition operators to condition keys.",
            ));
        };
        let mut conditions = Vec::new();
        for (name, keys) in operators {
            let operator = Operator::parse(name)
                .ok_or_else(|| malformed(format!("Policy contains an unknown condition operator: {name}")))?;
            let Value::Object(keys) = keys else {
                return Err(malformed(format!("Condition operator {name} must map condition keys to values.")));
            };
            for (key, values) in keys {
                if !key.split_once(':').is_some_and(|(prefix, rest)| !prefix.is_empty() && !rest.is_empty()) {
                    return Err(malformed(format!(
                        "Policy contains an invalid condition key: {key}. Condition keys must be prefaced by a service, e.g. kms:CallerAccount."
                    )));
                }
                let values = scalar_or_array(values).ok_or_else(|| {
                    malformed(format!(
                        "Condition key {key} of {name} must have a string, number or boolean value, or a non-empty array of them."
                    ))
                })?;
                let matcher = Matcher::build(operator.base, values).map_err(|v| {
                    malformed(format!("Policy contains an invalid value for condition operator {name}: {v}."))
                })?;
                conditions.push(Condition { key: key.to_lowercase(), operator, matcher });
            }
        }
        Ok(ConditionBlock(conditions))
    }

    /// Whether every test holds (an empty block always does).
    /// Whether the block has no condition at all (it then holds in any context).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn holds(&self, ctx: &ConditionContext) -> bool {
        self.0.iter().all(|c| c.holds(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    /// A context from `(key, values)` pairs; an empty slice sets an empty value list.
    fn ctx(pairs: &[(&str, &[&str])]) -> ConditionContext {
        let mut c = ConditionContext::new();
        for (k, vs) in pairs {
            c.set_many(k, vs.iter().map(|v| (*v).to_owned()).collect());
        }
        c
    }

    fn holds(condition: Value, context: &ConditionContext) -> bool {
        ConditionBlock::parse(&condition).unwrap().holds(context)
    }

    fn parse_error(condition: Value) -> String {
        let err = ConditionBlock::parse(&condition).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MalformedPolicyDocument);
        err.message.unwrap()
    }

    const ACCT: &str = "kms:CallerAccount";

    #[test]
    fn string_equals_is_exact_and_values_or() {
        let c = ctx(&[(ACCT, &["111122223333"])]);
        assert!(holds(json!({"StringEquals": {ACCT: "111122223333"}}), &c));
        assert!(holds(json!({"StringEquals": {ACCT: ["444455556666", "111122223333"]}}), &c));
        assert!(!holds(json!({"StringEquals": {ACCT: "444455556666"}}), &c));
        let spec = ctx(&[("kms:KeySpec", &["SYMMETRIC_DEFAULT"])]);
        assert!(!holds(json!({"StringEquals": {"kms:KeySpec": "symmetric_default"}}), &spec));
        assert!(holds(json!({"StringEqualsIgnoreCase": {"kms:KeySpec": "symmetric_default"}}), &spec));
        assert!(!holds(json!({"StringEqualsIgnoreCase": {"kms:KeySpec": "RSA_2048"}}), &spec));
    }

    #[test]
    fn negated_string_operators_match_none_of_the_values() {
        let c = ctx(&[(ACCT, &["111122223333"])]);
        assert!(holds(json!({"StringNotEquals": {ACCT: ["444455556666", "777788889999"]}}), &c));
        assert!(!holds(json!({"StringNotEquals": {ACCT: ["444455556666", "111122223333"]}}), &c));
        let spec = ctx(&[("kms:KeySpec", &["RSA_2048"])]);
        assert!(!holds(json!({"StringNotEqualsIgnoreCase": {"kms:KeySpec": "rsa_2048"}}), &spec));
        assert!(holds(json!({"StringNotEqualsIgnoreCase": {"kms:KeySpec": "rsa_4096"}}), &spec));
        assert!(!holds(json!({"StringNotLike": {"kms:KeySpec": "RSA_*"}}), &spec));
        assert!(holds(json!({"StringNotLike": {"kms:KeySpec": "ECC_*"}}), &spec));
    }

    #[test]
    fn string_like_uses_case_sensitive_wildcards() {
        let c = ctx(&[("kms:RequestAlias", &["alias/app-prod"])]);
        assert!(holds(json!({"StringLike": {"kms:RequestAlias": "alias/app-*"}}), &c));
        assert!(holds(json!({"StringLike": {"kms:RequestAlias": "alias/app-pro?"}}), &c));
        assert!(!holds(json!({"StringLike": {"kms:RequestAlias": "alias/APP-*"}}), &c));
        assert!(!holds(json!({"StringLike": {"kms:RequestAlias": "alias/app-"}}), &c));
    }

    #[test]
    fn missing_keys_fail_positive_and_satisfy_negated_operators() {
        let empty = ConditionContext::new();
        for op in ["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnLike", "ArnEquals", "Bool"] {
            assert!(!holds(json!({op: {"aws:PrincipalArn": "x"}}), &empty), "{op}");
        }
        for op in ["NumericEquals", "NumericLessThan", "NumericGreaterThanEquals"] {
            assert!(!holds(json!({op: {"kms:Size": 5}}), &empty), "{op}");
        }
        for op in ["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotLike", "ArnNotEquals"] {
            assert!(holds(json!({op: {"aws:PrincipalArn": "x"}}), &empty), "{op}");
        }
        assert!(holds(json!({"NumericNotEquals": {"kms:Size": 5}}), &empty));
        assert!(holds(json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), &empty));
        assert!(holds(json!({"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}}), &empty));
        let blank = ctx(&[("aws:PrincipalArn", &[])]);
        assert!(!holds(json!({"StringEquals": {"aws:PrincipalArn": "x"}}), &blank), "empty counts as absent");
        assert!(holds(json!({"StringNotEquals": {"aws:PrincipalArn": "x"}}), &blank), "empty counts as absent");
    }

    #[test]
    fn if_exists_passes_absent_keys_and_checks_present_ones() {
        let empty = ConditionContext::new();
        let c = ctx(&[("kms:ViaService", &["ec2.us-east-1.amazonaws.com"])]);
        let eq = json!({"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}});
        assert!(holds(eq.clone(), &empty));
        assert!(!holds(eq, &c));
        let ne = json!({"StringNotEqualsIfExists": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}});
        assert!(holds(ne.clone(), &empty));
        assert!(!holds(ne, &c));
        assert!(holds(json!({"NumericLessThanIfExists": {"kms:Size": 5}}), &empty));
        assert!(holds(json!({"BoolIfExists": {"kms:GrantIsForAWSResource": "true"}}), &empty));
        assert!(!holds(
            json!({"BoolIfExists": {"kms:GrantIsForAWSResource": "true"}}),
            &ctx(&[("kms:GrantIsForAWSResource", &["false"])])
        ));
        assert!(holds(json!({"ForAnyValue:StringEqualsIfExists": {"kms:GrantOperations": "Decrypt"}}), &empty));
    }

    #[test]
    fn null_checks_presence() {
        let empty = ConditionContext::new();
        let c = ctx(&[("kms:EncryptionContextKeys", &["Department"])]);
        let absent = json!({"Null": {"kms:EncryptionContextKeys": "true"}});
        let present = json!({"Null": {"kms:EncryptionContextKeys": false}});
        assert!(holds(absent.clone(), &empty));
        assert!(!holds(absent.clone(), &c));
        assert!(!holds(present.clone(), &empty));
        assert!(holds(present, &c));
        assert!(holds(absent, &ctx(&[("kms:EncryptionContextKeys", &[])])), "an empty list is null");
        assert!(holds(json!({"Null": {"kms:X": "TRUE"}}), &empty));
        assert!(!holds(json!({"Null": {"kms:X": "maybe"}}), &empty));
        assert!(!holds(json!({"Null": {"kms:X": "maybe"}}), &c));
    }

    #[test]
    fn bool_compares_true_and_false_case_insensitively() {
        let t = ctx(&[("kms:GrantIsForAWSResource", &["TRUE"])]);
        assert!(holds(json!({"Bool": {"kms:GrantIsForAWSResource": true}}), &t));
        assert!(holds(json!({"Bool": {"kms:GrantIsForAWSResource": "true"}}), &t));
        assert!(!holds(json!({"Bool": {"kms:GrantIsForAWSResource": "false"}}), &t));
        assert!(!holds(
            json!({"Bool": {"kms:GrantIsForAWSResource": "true"}}),
            &ctx(&[("kms:GrantIsForAWSResource", &["false"])])
        ));
    }

    #[test]
    fn numeric_comparisons() {
        let c = ctx(&[("kms:Size", &["10"])]);
        let check = |op: &str, v: Value| holds(json!({op: {"kms:Size": v}}), &c);
        assert!(check("NumericEquals", json!(10)));
        assert!(check("NumericEquals", json!("10.0")));
        assert!(!check("NumericEquals", json!(11)));
        assert!(check("NumericNotEquals", json!([11, 12])));
        assert!(!check("NumericNotEquals", json!([10, 12])));
        assert!(check("NumericLessThan", json!(11)));
        assert!(!check("NumericLessThan", json!(10)));
        assert!(check("NumericLessThanEquals", json!(10)));
        assert!(!check("NumericLessThanEquals", json!(9.5)));
        assert!(check("NumericGreaterThan", json!("9")));
        assert!(!check("NumericGreaterThan", json!(10)));
        assert!(check("NumericGreaterThanEquals", json!(10)));
        assert!(!check("NumericGreaterThanEquals", json!(10.5)));
        let garbage = ctx(&[("kms:Size", &["ten"])]);
        assert!(!holds(json!({"NumericEquals": {"kms:Size": 10}}), &garbage));
        assert!(!holds(json!({"NumericLessThan": {"kms:Size": 10}}), &garbage));
    }

    #[test]
    fn arn_operators_match_segment_by_segment() {
        let c = ctx(&[("aws:PrincipalArn", &["arn:aws:iam::111122223333:role/ops/Deploy"])]);
        assert!(holds(json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}), &c));
        assert!(holds(json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops/Deploy"}}), &c));
        assert!(!holds(json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/*"}}), &c));
        assert!(!holds(json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}), &c));
        assert!(holds(json!({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/ops/Deploy"}}), &c));
        assert!(!holds(json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:ROLE/ops/Deploy"}}), &c));
    }

    #[test]
    fn for_any_value() {
        let ops = ctx(&[("kms:GrantOperations", &["Encrypt", "Decrypt"])]);
        let any =
            |v: Value, c: &ConditionContext| holds(json!({"ForAnyValue:StringEquals": {"kms:GrantOperations": v}}), c);
        assert!(any(json!("Decrypt"), &ops));
        assert!(any(json!(["Sign", "Encrypt"]), &ops));
        assert!(!any(json!(["Sign", "Verify"]), &ops));
        assert!(!any(json!("Decrypt"), &ConditionContext::new()), "absent key");
        assert!(!any(json!("Decrypt"), &ctx(&[("kms:GrantOperations", &[])])), "empty key");
        let not = json!({"ForAnyValue:StringNotEquals": {"kms:GrantOperations": "Encrypt"}});
        assert!(holds(not.clone(), &ops), "Decrypt is not Encrypt");
        assert!(!holds(not.clone(), &ctx(&[("kms:GrantOperations", &["Encrypt"])])));
        assert!(!holds(not, &ConditionContext::new()));
    }

    #[test]
    fn for_all_values() {
        let ops = ctx(&[("kms:GrantOperations", &["Encrypt", "Decrypt"])]);
        let all =
            |v: Value, c: &ConditionContext| holds(json!({"ForAllValues:StringEquals": {"kms:GrantOperations": v}}), c);
        assert!(all(json!(["Decrypt", "Encrypt", "GenerateDataKey"]), &ops));
        assert!(!all(json!(["Decrypt", "GenerateDataKey"]), &ops));
        assert!(all(json!("Decrypt"), &ConditionContext::new()), "absent key");
        assert!(all(json!("Decrypt"), &ctx(&[("kms:GrantOperations", &[])])), "empty key");
        // IAM's documented example: deny unless every tag key starts with key1.
        let deny_if = json!({"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}});
        assert!(!holds(deny_if.clone(), &ctx(&[("aws:TagKeys", &["key1:legal"])])));
        assert!(!holds(deny_if.clone(), &ctx(&[("aws:TagKeys", &["key1:hr", "key1:personnel"])])));
        assert!(holds(deny_if.clone(), &ctx(&[("aws:TagKeys", &["key2:audit"])])));
        assert!(holds(deny_if, &ConditionContext::new()));
    }

    #[test]
    fn unqualified_multi_valued_keys_use_any_value() {
        let ops = ctx(&[("kms:GrantOperations", &["Encrypt", "Decrypt"])]);
        assert!(holds(json!({"StringEquals": {"kms:GrantOperations": "Decrypt"}}), &ops));
        assert!(!holds(json!({"StringEquals": {"kms:GrantOperations": "Sign"}}), &ops));
        assert!(!holds(json!({"StringNotEquals": {"kms:GrantOperations": "Decrypt"}}), &ops), "exact inverse");
        assert!(holds(json!({"StringNotEquals": {"kms:GrantOperations": "Sign"}}), &ops));
    }

    #[test]
    fn keys_and_operators_and_together_and_key_names_ignore_case() {
        let c = ctx(&[(ACCT, &["111122223333"]), ("kms:ViaService", &["ec2.us-east-1.amazonaws.com"])]);
        let both = json!({"StringEquals": {"KMS:CALLERACCOUNT": "111122223333", "kms:viaservice": "ec2.us-east-1.amazonaws.com"}});
        assert!(holds(both, &c));
        let one_wrong = json!({"StringEquals": {ACCT: "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"}});
        assert!(!holds(one_wrong, &c));
        let two_ops = json!({"StringEquals": {ACCT: "111122223333"}, "StringLike": {"kms:ViaService": "s3.*"}});
        assert!(!holds(two_ops, &c));
        let two_ops = json!({"StringEquals": {ACCT: "111122223333"}, "StringLike": {"kms:ViaService": "ec2.*"}});
        assert!(holds(two_ops, &c));
        assert!(holds(json!({}), &c), "an empty Condition holds");
        assert!(holds(json!({"StringEquals": {}}), &c), "an operator with no keys holds");
    }

    #[test]
    fn encryption_context_keys_are_looked_up_by_name() {
        let mut c = ConditionContext::new();
        c.set_encryption_context([("Department", "IT"), ("Project", "Alpha")]);
        assert!(holds(json!({"StringEquals": {"kms:EncryptionContext:Department": "IT"}}), &c));
        assert!(holds(json!({"StringEquals": {"kms:encryptioncontext:department": "IT"}}), &c), "names ignore case");
        assert!(!holds(json!({"StringEquals": {"kms:EncryptionContext:Department": "it"}}), &c), "values do not");
        assert!(!holds(json!({"StringEquals": {"kms:EncryptionContext:Stage": "prod"}}), &c));
        let only = json!({"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["Department", "Project"]}});
        assert!(holds(only.clone(), &c));
        c.set_encryption_context([("Department", "IT"), ("Extra", "x")]);
        assert!(!holds(only, &c));
    }

    #[test]
    fn date_ip_and_binary_operators() {
        let c = ctx(&[
            ("aws:CurrentTime", &["2024-06-01T12:00:00Z"]),
            ("aws:SourceIp", &["203.0.113.9"]),
            ("aws:Blob", &["QUJD"]),
        ]);
        assert!(holds(json!({"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}}), &c));
        assert!(!holds(json!({"DateGreaterThan": {"aws:CurrentTime": "2025-01-01"}}), &c));
        assert!(holds(json!({"DateGreaterThanEquals": {"aws:CurrentTime": 1717243200}}), &c));
        assert!(holds(json!({"DateEquals": {"aws:CurrentTime": "2024-06-01T14:00:00+02:00"}}), &c));
        assert!(!holds(json!({"DateLessThanEquals": {"aws:CurrentTime": "2024-06-01T11:59:59Z"}}), &c));
        assert!(holds(json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}), &c));
        assert!(!holds(json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), &c));
        assert!(holds(json!({"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}), &c));
        assert!(holds(json!({"BinaryEquals": {"aws:Blob": "QUJD"}}), &c));
        assert!(!holds(json!({"BinaryEquals": {"aws:Blob": "qujd"}}), &c));
    }

    #[test]
    fn malformed_conditions_are_rejected_with_specific_messages() {
        assert_eq!(
            parse_error(json!({"StringEqualz": {ACCT: "1"}})),
            "Policy contains an unknown condition operator: StringEqualz"
        );
        assert!(
            parse_error(json!({"NullIfExists": {ACCT: "true"}})).contains("unknown condition operator: NullIfExists")
        );
        assert!(parse_error(json!({"ForAnyValue:Null": {ACCT: "true"}})).contains("unknown condition operator"));
        assert!(parse_error(json!({"DateLessThanIfExistz": {ACCT: "1"}})).contains("unknown condition operator"));
        assert!(parse_error(json!("StringEquals")).starts_with("The Condition element must be an object"));
        assert!(parse_error(json!([{"StringEquals": {}}])).starts_with("The Condition element must be an object"));
        assert_eq!(
            parse_error(json!({"StringEquals": "kms:CallerAccount"})),
            "Condition operator StringEquals must map condition keys to values."
        );
        assert!(
            parse_error(json!({"StringEquals": {"CallerAccount": "1"}}))
                .starts_with("Policy contains an invalid condition key: CallerAccount.")
        );
        assert!(parse_error(json!({"StringEquals": {"kms:": "1"}})).contains("invalid condition key"));
        assert!(parse_error(json!({"StringEquals": {":x": "1"}})).contains("invalid condition key"));
        for bad in [json!(null), json!([]), json!({"a": "b"}), json!([null]), json!([["x"]])] {
            let msg = parse_error(json!({"StringEquals": {ACCT: bad}}));
            assert!(msg.starts_with("Condition key kms:CallerAccount of StringEquals must have"), "{msg}");
        }
        assert_eq!(
            parse_error(json!({"NumericLessThan": {"kms:Size": "ten"}})),
            "Policy contains an invalid value for condition operator NumericLessThan: ten."
        );
        assert!(parse_error(json!({"DateLessThan": {"aws:CurrentTime": "yesterday"}})).ends_with(": yesterday."));
        assert!(
            parse_error(json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "10.0.0.0/33"]}}))
                .ends_with(": 10.0.0.0/33.")
        );
    }
}
