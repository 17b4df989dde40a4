//! Whole-policy tests: parsing real documents and evaluating requests.

use super::*;
use crate::error::ErrorKind;

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const DEFAULT_POLICY: &str = r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;

/// Evaluates `action` by `principal_arn` (whose account is read from the ARN)
/// on [`KEY`] with `context`.
fn decide_with(policy: &KeyPolicy, principal_arn: &str, action: &str, context: &ConditionContext) -> Decision {
    let account = principal_arn.split(':').nth(4).unwrap();
    policy.evaluate(&AuthzRequest { principal_arn, principal_account: account, action, resource_arn: KEY, context })
}

fn decide(policy: &KeyPolicy, principal_arn: &str, action: &str) -> Decision {
    decide_with(policy, principal_arn, action, &ConditionContext::new())
}

fn policy(text: &str) -> KeyPolicy {
    KeyPolicy::parse(text).unwrap()
}

/// A policy of the given statements (JSON text of each).
fn statements(list: &[&str]) -> KeyPolicy {
    policy(&format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, list.join(",")))
}

fn user(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user/{name}")
}

#[test]
fn the_default_key_policy_allows_the_whole_account_and_nobody_else() {
    let p = policy(DEFAULT_POLICY);
    let insiders = [
        format!("arn:aws:iam::{ACCOUNT}:root"),
        user(ACCOUNT, "alice"),
        format!("arn:aws:iam::{ACCOUNT}:role/app"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/session-1"),
    ];
    for who in &insiders {
        for action in ["kms:Encrypt", "kms:Decrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant"] {
            assert_eq!(decide(&p, who, action), Decision::Allow, "{who} {action}");
        }
    }
    for who in [format!("arn:aws:iam::{OTHER}:root"), user(OTHER, "alice")] {
        assert_eq!(decide(&p, &who, "kms:Encrypt"), Decision::NotAllowed, "{who}");
    }
}

#[test]
fn an_account_id_principal_is_the_same_as_its_root_arn() {
    let p = statements(&[r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#]);
    assert_eq!(decide(&p, &user(ACCOUNT, "bob"), "kms:Decrypt"), Decision::Allow);
    assert_eq!(decide(&p, &user(OTHER, "bob"), "kms:Decrypt"), Decision::NotAllowed);
}

#[test]
fn an_explicit_deny_wins_over_any_allow() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#,
        r#"{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},"Action":"kms:Decrypt","Resource":"*"}"#,
    ]);
    assert_eq!(decide(&p, &user(ACCOUNT, "mallory"), "kms:Decrypt"), Decision::ExplicitDeny);
    assert_eq!(decide(&p, &user(ACCOUNT, "mallory"), "kms:Encrypt"), Decision::Allow);
    assert_eq!(decide(&p, &user(ACCOUNT, "alice"), "kms:Decrypt"), Decision::Allow);
    // A deny for someone the policy never allowed is still an explicit deny.
    let p = statements(&[r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}"#]);
    assert_eq!(decide(&p, &user(OTHER, "x"), "kms:Encrypt"), Decision::ExplicitDeny);
    assert!(!Decision::ExplicitDeny.is_allowed());
    assert!(Decision::Allow.is_allowed());
}

#[test]
fn not_action_covers_every_other_action() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"NotAction":["kms:ScheduleKeyDeletion","kms:Put*"],"Resource":"*"}"#,
    ]);
    let alice = user(ACCOUNT, "alice");
    assert_eq!(decide(&p, &alice, "kms:Encrypt"), Decision::Allow);
    assert_eq!(decide(&p, &alice, "kms:ScheduleKeyDeletion"), Decision::NotAllowed);
    assert_eq!(decide(&p, &alice, "kms:PutKeyPolicy"), Decision::NotAllowed);
}

#[test]
fn not_principal_applies_to_everyone_not_named() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#,
        r#"{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/Admin","arn:aws:iam::111122223333:user/ops"]},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}"#,
    ]);
    assert_eq!(decide(&p, &user(ACCOUNT, "ops"), "kms:ScheduleKeyDeletion"), Decision::Allow);
    let admin_session = format!("arn:aws:sts::{ACCOUNT}:assumed-role/Admin/jo");
    assert_eq!(decide(&p, &admin_session, "kms:ScheduleKeyDeletion"), Decision::Allow);
    assert_eq!(decide(&p, &user(ACCOUNT, "alice"), "kms:ScheduleKeyDeletion"), Decision::ExplicitDeny);
    assert_eq!(decide(&p, &user(OTHER, "ops"), "kms:ScheduleKeyDeletion"), Decision::ExplicitDeny);
    assert_eq!(decide(&p, &user(ACCOUNT, "alice"), "kms:Encrypt"), Decision::Allow);
}

#[test]
fn resource_and_not_resource_are_matched_against_the_key_arn() {
    let alice = user(ACCOUNT, "alice");
    let here = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}"#,
    ]);
    assert_eq!(decide(&here, &alice, "kms:Encrypt"), Decision::Allow);
    let elsewhere = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"arn:aws:kms:eu-west-1:111122223333:key/*"}"#,
    ]);
    assert_eq!(decide(&elsewhere, &alice, "kms:Encrypt"), Decision::NotAllowed);
    let not_here = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:key/1234abcd-*"}"#,
    ]);
    assert_eq!(decide(&not_here, &alice, "kms:Encrypt"), Decision::NotAllowed);
    let not_elsewhere = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","NotResource":["arn:aws:kms:eu-west-1:111122223333:key/*"]}"#,
    ]);
    assert_eq!(decide(&not_elsewhere, &alice, "kms:Encrypt"), Decision::Allow);
}

#[test]
fn action_wildcards_are_case_insensitive() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["kms:Generate*","KMS:reencrypt*","kms:DESCRIBEKEY"],"Resource":"*"}"#,
    ]);
    let alice = user(ACCOUNT, "alice");
    for allowed in ["kms:GenerateDataKey", "kms:GenerateMac", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"]
    {
        assert_eq!(decide(&p, &alice, allowed), Decision::Allow, "{allowed}");
    }
    for refused in ["kms:Encrypt", "kms:Decrypt", "kms:CreateGrant"] {
        assert_eq!(decide(&p, &alice, refused), Decision::NotAllowed, "{refused}");
    }
}

#[test]
fn other_services_actions_are_valid_but_grant_nothing() {
    let p = statements(&[r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}"#]);
    assert_eq!(decide(&p, &user(ACCOUNT, "alice"), "kms:Encrypt"), Decision::NotAllowed);
}

#[test]
fn a_role_principal_matches_its_assumed_role_sessions() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/service/App"},"Action":"kms:Decrypt","Resource":"*"}"#,
    ]);
    for who in [
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/App/i-0abc"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/App/bob@example.com"),
        format!("arn:aws:iam::{ACCOUNT}:role/service/App"),
    ] {
        assert_eq!(decide(&p, &who, "kms:Decrypt"), Decision::Allow, "{who}");
    }
    for who in [
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Other/i-0abc"),
        format!("arn:aws:sts::{OTHER}:assumed-role/App/i-0abc"),
        format!("arn:aws:iam::{ACCOUNT}:root"),
        user(ACCOUNT, "App"),
    ] {
        assert_eq!(decide(&p, &who, "kms:Decrypt"), Decision::NotAllowed, "{who}");
    }
}

#[test]
fn exact_principals_match_exactly() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/Alice","arn:aws:sts::111122223333:assumed-role/R/s1"]},"Action":"kms:*","Resource":"*"}"#,
    ]);
    assert_eq!(decide(&p, &user(ACCOUNT, "Alice"), "kms:Encrypt"), Decision::Allow);
    assert_eq!(decide(&p, &user(ACCOUNT, "alice"), "kms:Encrypt"), Decision::NotAllowed);
    assert_eq!(decide(&p, &format!("arn:aws:sts::{ACCOUNT}:assumed-role/R/s1"), "kms:Encrypt"), Decision::Allow);
    assert_eq!(decide(&p, &format!("arn:aws:sts::{ACCOUNT}:assumed-role/R/s2"), "kms:Encrypt"), Decision::NotAllowed);
    assert_eq!(decide(&p, &format!("arn:aws:iam::{ACCOUNT}:root"), "kms:Encrypt"), Decision::NotAllowed);
}

#[test]
fn service_principals_never_match_a_trent_caller() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"Service":["logs.us-east-1.amazonaws.com"]},"Action":"kms:*","Resource":"*"}"#,
    ]);
    assert_eq!(decide(&p, &format!("arn:aws:iam::{ACCOUNT}:root"), "kms:Encrypt"), Decision::NotAllowed);
}

#[test]
fn a_caller_account_condition_scopes_a_wildcard_principal() {
    // The shape of AWS managed keys' policies: anyone, via the account's own calls.
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*",
            "Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"ebs.us-east-1.amazonaws.com"}}}"#,
    ]);
    let mut ctx = ConditionContext::new();
    ctx.set("kms:CallerAccount", ACCOUNT).set("kms:ViaService", "ebs.us-east-1.amazonaws.com");
    assert_eq!(decide_with(&p, &user(ACCOUNT, "alice"), "kms:Encrypt", &ctx), Decision::Allow);
    let mut direct = ConditionContext::new();
    direct.set("kms:CallerAccount", ACCOUNT);
    assert_eq!(decide_with(&p, &user(ACCOUNT, "alice"), "kms:Encrypt", &direct), Decision::NotAllowed);
    let mut foreign = ConditionContext::new();
    foreign.set("kms:CallerAccount", OTHER).set("kms:ViaService", "ebs.us-east-1.amazonaws.com");
    assert_eq!(decide_with(&p, &user(OTHER, "eve"), "kms:Encrypt", &foreign), Decision::NotAllowed);
}

#[test]
fn encryption_context_conditions_gate_decrypt() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Decrypt","Resource":"*",
            "Condition":{"StringEquals":{"kms:EncryptionContext:Department":"IT"}}}"#,
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"Null":{"kms:EncryptionContextKeys":"true"}}}"#,
    ]);
    let alice = user(ACCOUNT, "alice");
    let mut it = ConditionContext::new();
    it.set_encryption_context([("Department", "IT"), ("Ticket", "42")]);
    assert_eq!(decide_with(&p, &alice, "kms:Decrypt", &it), Decision::Allow);
    let mut hr = ConditionContext::new();
    hr.set_encryption_context([("Department", "HR")]);
    assert_eq!(decide_with(&p, &alice, "kms:Decrypt", &hr), Decision::NotAllowed);
    assert_eq!(decide(&p, &alice, "kms:Decrypt"), Decision::ExplicitDeny);
}

#[test]
fn a_deny_with_a_negated_condition_on_a_missing_key_applies() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#,
        r#"{"Effect":"Deny","Principal":"*","Action":"kms:CreateGrant","Resource":"*",
            "Condition":{"StringNotEquals":{"kms:GranteePrincipal":"arn:aws:iam::111122223333:role/App"}}}"#,
    ]);
    let alice = user(ACCOUNT, "alice");
    assert_eq!(decide(&p, &alice, "kms:CreateGrant"), Decision::ExplicitDeny, "absent key: negated operator holds");
    let mut ok = ConditionContext::new();
    ok.set("kms:GranteePrincipal", "arn:aws:iam::111122223333:role/App");
    assert_eq!(decide_with(&p, &alice, "kms:CreateGrant", &ok), Decision::Allow);
}

#[test]
fn grant_operation_sets_with_for_all_values() {
    let p = statements(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:CreateGrant","Resource":"*",
            "Condition":{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]},
                         "Bool":{"kms:GrantIsForAWSResource":true}}}"#,
    ]);
    let alice = user(ACCOUNT, "alice");
    let grant = |ops: &[&str], aws: &str| {
        let mut ctx = ConditionContext::new();
        ctx.set_many("kms:GrantOperations", ops.iter().map(|s| (*s).to_owned()).collect());
        ctx.set("kms:GrantIsForAWSResource", aws);
        decide_with(&p, &alice, "kms:CreateGrant", &ctx)
    };
    assert_eq!(grant(&["Decrypt"], "true"), Decision::Allow);
    assert_eq!(grant(&["Decrypt", "Encrypt"], "true"), Decision::Allow);
    assert_eq!(grant(&["Decrypt", "RetireGrant"], "true"), Decision::NotAllowed);
    assert_eq!(grant(&["Decrypt"], "false"), Decision::NotAllowed);
}

#[test]
fn documents_in_every_accepted_shape_parse() {
    // Statement as a single object, Version 2008, no Version, no Id, arrays everywhere.
    let single = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":["kms:Encrypt"],"Resource":["*"]}}"#;
    assert_eq!(decide(&policy(single), &user(OTHER, "x"), "kms:Encrypt"), Decision::Allow);
    let bare = r#"{"Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":["111122223333"],"Service":"s3.amazonaws.com"},"Action":"kms:*","Resource":"*","Condition":{}}]}"#;
    assert_eq!(decide(&policy(bare), &user(ACCOUNT, "x"), "kms:Encrypt"), Decision::Allow);
    let p = policy(DEFAULT_POLICY);
    assert_eq!(p.statements.len(), 1);
}

#[test]
fn key_policies_are_send_sync_and_debug() {
    fn assert_traits<T: Send + Sync + std::fmt::Debug + Clone>() {}
    assert_traits::<KeyPolicy>();
    assert_traits::<ConditionContext>();
    assert!(format!("{:?}", policy(DEFAULT_POLICY)).contains("Allow"));
}

/// Every validation error, with the message it must carry.
#[test]
fn every_malformed_document_is_rejected_with_its_message() {
    const STMT_TAIL: &str = r#""Action":"kms:*","Resource":"*""#;
    let ok_principal = r#""Principal":{"AWS":"111122223333"}"#;
    let stmt = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{{body}}}]}}"#);
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "The policy document is not valid JSON."),
        ("{".into(), "The policy document is not valid JSON."),
        ("{\"Statement\": []} trailing".into(), "The policy document is not valid JSON."),
        ("[]".into(), "The policy document must be a JSON object."),
        ("\"policy\"".into(), "The policy document must be a JSON object."),
        ("{}".into(), "The policy document must contain a Statement."),
        (r#"{"Version":"2012-10-17"}"#.into(), "The policy document must contain a Statement."),
        (r#"{"Statement":[]}"#.into(), "The policy document must contain at least one statement."),
        (r#"{"Statement":"Allow"}"#.into(), "The Statement element must be an object or an array of objects."),
        (r#"{"Statement":["Allow"]}"#.into(), "Each policy statement must be a JSON object."),
        (
            r#"{"Version":"2012-10-18","Statement":{}}"#.into(),
            "Policy contains an invalid Version: 2012-10-18. The Version must be \"2012-10-17\" or \"2008-10-17\".",
        ),
        (
            r#"{"Version":20121017,"Statement":{}}"#.into(),
            "Policy contains an invalid Version: 20121017. The Version must be \"2012-10-17\" or \"2008-10-17\".",
        ),
        (r#"{"Id":7,"Statement":{}}"#.into(), "The policy Id must be a string."),
        (r#"{"Statement":{},"Extra":1}"#.into(), "Policy contains an unknown element: Extra."),
        (r#"{"statement":{}}"#.into(), "Policy contains an unknown element: statement."),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},{STMT_TAIL},"Foo":1"#)),
            "Policy statement contains an unknown element: Foo.",
        ),
        (
            stmt(&format!(r#""Sid":1,"Effect":"Allow",{ok_principal},{STMT_TAIL}"#)),
            "Policy statement Sid must be a string.",
        ),
        (stmt(&format!(r#"{ok_principal},{STMT_TAIL}"#)), "Policy statement is missing the required Effect element."),
        (
            stmt(&format!(r#""Effect":"allow",{ok_principal},{STMT_TAIL}"#)),
            "Policy statement has an invalid Effect: allow. The Effect must be \"Allow\" or \"Deny\".",
        ),
        (
            stmt(&format!(r#""Effect":true,{ok_principal},{STMT_TAIL}"#)),
            "Policy statement has an invalid Effect: true. The Effect must be \"Allow\" or \"Deny\".",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{STMT_TAIL}"#)),
            "Policy statement is missing the required Principal element.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"NotPrincipal":"*",{STMT_TAIL}"#)),
            "Policy statement must not contain both Principal and NotPrincipal.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"Resource":"*""#)),
            "Policy statement is missing the required Action element.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"NotAction":"kms:Encrypt",{STMT_TAIL}"#)),
            "Policy statement must not contain both Action and NotAction.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"Action":"kms:*""#)),
            "Policy statement is missing the required Resource element.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"NotResource":"*",{STMT_TAIL}"#)),
            "Policy statement must not contain both Resource and NotResource.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"Action":[],"Resource":"*""#)),
            "Policy statement Action element must be a string or a non-empty array of strings.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"NotAction":[1],"Resource":"*""#)),
            "Policy statement NotAction element must be a string or a non-empty array of strings.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"Action":"kms:*","Resource":{{"arn":1}}"#)),
            "Policy statement Resource element must be a string or a non-empty array of strings.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"Action":"Encrypt","Resource":"*""#)),
            "Policy contains an invalid action: Encrypt. Actions must be prefaced by a service, e.g. kms:Encrypt.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"Action":"kms:Encrypt Decrypt","Resource":"*""#)),
            "Policy contains an invalid action: kms:Encrypt Decrypt.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},"Action":"kms:*","Resource":"key/abc""#)),
            "Resource key/abc must be in ARN format or \"*\".",
        ),
        (
            stmt(&format!(
                r#""Effect":"Allow",{ok_principal},{STMT_TAIL},"Condition":{{"StringEqualz":{{"kms:CallerAccount":"1"}}}}"#
            )),
            "Policy contains an unknown condition operator: StringEqualz",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},{STMT_TAIL},"Condition":[]"#)),
            "The Condition element must be an object mapping condition operators to condition keys.",
        ),
        (
            stmt(&format!(r#""Effect":"Allow",{ok_principal},{STMT_TAIL},"Condition":{{"Bool":{{"kms:X":null}}}}"#)),
            "Condition key kms:X of Bool must have a string, number or boolean value, or a non-empty array of them.",
        ),
    ];
    for (doc, message) in &cases {
        let err = KeyPolicy::parse(doc).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MalformedPolicyDocument, "{doc}");
        assert_eq!(err.message.as_deref(), Some(*message), "{doc}");
    }
    let invalid_principals = [
        r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/*"}"#,
        r#""Principal":{"AWS":"arn:aws:iam::111122223333:role/Ad?min"}"#,
        r#""Principal":{"AWS":"arn:aws:iam::*:root"}"#,
        r#""Principal":{"AWS":"1111"}"#,
        r#""Principal":{"AWS":"alice"}"#,
        r#""Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:group/g"]}"#,
        r#""Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#,
        r#""Principal":{}"#,
        r#""Principal":"arn:aws:iam::111122223333:root""#,
        r#""Principal":["*"]"#,
        r#""NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/a*"}"#,
    ];
    for principal in invalid_principals {
        let doc = stmt(&format!(r#""Effect":"Allow",{principal},{STMT_TAIL}"#));
        let err = KeyPolicy::parse(&doc).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MalformedPolicyDocument, "{doc}");
        assert_eq!(err.message.as_deref(), Some("Policy contains a statement with one or more invalid principals."));
    }
}

#[test]
fn a_later_bad_statement_fails_the_whole_document() {
    let doc = format!(
        r#"{{"Statement":[{},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"nope"}}]}}"#,
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#
    );
    let err = KeyPolicy::parse(&doc).unwrap_err();
    assert_eq!(err.message.as_deref(), Some("Resource nope must be in ARN format or \"*\"."));
}

/// A rich document used as the seed for the garbling test.
const RICH_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Id": "rich",
  "Statement": [
    {
      "Sid": "Admins",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::111122223333:root",
          "arn:aws:iam::111122223333:role/ops/Admin"
        ]
      },
      "Action": [
        "kms:*"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Use",
      "Effect": "Allow",
      "Principal": {
        "AWS": "*"
      },
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*"
      ],
      "Resource": "arn:aws:kms:*:111122223333:key/*",
      "Condition": {
        "StringEquals": {
          "kms:CallerAccount": "111122223333"
        },
        "ForAnyValue:StringLike": {
          "kms:EncryptionContextKeys": [
            "Dep*"
          ]
        },
        "NumericLessThanIfExists": {
          "kms:Size": 100
        },
        "Null": {
          "kms:ViaService": true
        }
      }
    },
    {
      "Effect": "Deny",
      "NotPrincipal": {
        "AWS": "arn:aws:iam::111122223333:user/ops"
      },
      "NotAction": "kms:Describe*",
      "NotResource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-*",
      "Condition": {
        "ForAllValues:StringNotEqualsIgnoreCase": {
          "kms:GrantOperations": "Sign"
        },
        "IpAddress": {
          "aws:SourceIp": "10.0.0.0/8"
        },
        "DateLessThan": {
          "aws:CurrentTime": "2030-01-01T00:00:00Z"
        },
        "Bool": {
          "kms:GrantIsForAWSResource": "false"
        },
        "StringNotLike": {
          "kms:EncryptionContext:Départ": "é*"
        }
      }
    }
  ]
}"#;

/// A tiny deterministic generator (xorshift) so the garbling test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn truncated_and_garbled_documents_never_panic() {
    // The seed is valid (otherwise the garbling below proves little).
    let rich = policy(RICH_POLICY);
    let mut ctx = ConditionContext::new();
    ctx.set("kms:CallerAccount", ACCOUNT).set_encryption_context([("Department", "IT")]);
    assert_eq!(decide_with(&rich, &user(ACCOUNT, "alice"), "kms:Encrypt", &ctx), Decision::Allow);

    // Every strict prefix of a JSON object is invalid JSON, and must say so.
    let chars: Vec<char> = RICH_POLICY.chars().collect();
    for len in 0..chars.len() {
        let prefix: String = chars[..len].iter().collect();
        let err = KeyPolicy::parse(&prefix).unwrap_err();
        assert_eq!(err.message.as_deref(), Some("The policy document is not valid JSON."), "prefix {len}");
    }

    // Random edits: deletions, insertions of structural characters, swaps and duplications.
    const ALPHABET: &[char] =
        &['{', '}', '[', ']', '"', ':', ',', '*', '?', '\\', ' ', 'a', 'K', '1', '-', '/', 'é', '\u{0}', 'n', 't'];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut parsed, mut rejected) = (0, 0);
    for _ in 0..3000 {
        let mut doc = chars.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(doc.len());
            match rng.below(4) {
                0 if !doc.is_empty() => {
                    let end = (at + 1 + rng.below(8)).min(doc.len());
                    doc.drain(at..end);
                }
                1 => doc.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
                2 if doc.len() > 1 => {
                    let other = rng.below(doc.len());
                    doc.swap(at, other);
                }
                _ => {
                    let end = (at + rng.below(16)).min(doc.len());
                    let copy: Vec<char> = doc[at..end].to_vec();
                    let to = rng.below(doc.len());
                    doc.splice(to..to, copy);
                }
            }
        }
        let text: String = doc.into_iter().collect();
        match KeyPolicy::parse(&text) {
            Ok(p) => {
                parsed += 1;
                let _ = decide_with(&p, &user(ACCOUNT, "alice"), "kms:Encrypt", &ctx);
                let _ = decide(&p, &format!("arn:aws:sts::{ACCOUNT}:assumed-role/Admin/s"), "kms:Decrypt");
            }
            Err(e) => {
                rejected += 1;
                assert_eq!(e.kind, ErrorKind::MalformedPolicyDocument, "{text}");
                assert!(e.message.is_some_and(|m| !m.is_empty()));
            }
        }
    }
    assert!(rejected > 0, "garbling should break most documents");
    assert!(parsed > 0, "some edits (e.g. inside string values) leave a valid policy");
}

#[test]
fn uses_conditions_tells_policies_with_conditions_apart() {
    let plain = KeyPolicy::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}"#,
    )
    .expect("plain");
    assert!(!plain.uses_conditions());
    let conditioned = KeyPolicy::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*",
            "Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}]}"#,
    )
    .expect("conditioned");
    assert!(conditioned.uses_conditions());
}
