//! Condition operator names: the base operators, the `IfExists` suffix and
//! the `ForAnyValue:` / `ForAllValues:` set qualifiers.

/// A condition operator without its suffix or qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// Every base operator under its IAM name.
const BASE_OPERATORS: [(&str, BaseOperator); 27] = {
    use BaseOperator::*;
    [
        ("StringEquals", StringEquals),
        ("StringNotEquals", StringNotEquals),
        ("StringEqualsIgnoreCase", StringEqualsIgnoreCase),
        ("StringNotEqualsIgnoreCase", StringNotEqualsIgnoreCase),
        ("StringLike", StringLike),
        ("StringNotLike", StringNotLike),
        ("NumericEquals", NumericEquals),
        ("NumericNotEquals", NumericNotEquals),
        ("NumericLessThan", NumericLessThan),
        ("NumericLessThanEquals", NumericLessThanEquals),
        ("NumericGreaterThan", NumericGreaterThan),
        ("NumericGreaterThanEquals", NumericGreaterThanEquals),
        ("DateEquals", DateEquals),
        ("DateNotEquals", DateNotEquals),
        ("DateLessThan", DateLessThan),
        ("DateLessThanEquals", DateLessThanEquals),
        ("DateGreaterThan", DateGreaterThan),
        ("DateGreaterThanEquals", DateGreaterThanEquals),
        ("Bool", Bool),
        ("BinaryEquals", BinaryEquals),
        ("IpAddress", IpAddress),
        ("NotIpAddress", NotIpAddress),
        ("ArnEquals", ArnEquals),
        ("ArnLike", ArnLike),
        ("ArnNotEquals", ArnNotEquals),
        ("ArnNotLike", ArnNotLike),
        ("Null", Null),
    ]
};

impl BaseOperator {
    /// Whether the operator holds when the request value matches *none* of the
    /// policy values (`StringNotEquals`, `ArnNotLike`, …). A negated operator
    /// is evaluated as its positive counterpart, then inverted per request value.
    pub(crate) fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

/// How a condition treats a multi-valued request key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetQualifier {
    /// `ForAnyValue:`: at least one request value must satisfy the operator.
    ForAnyValue,
    /// `ForAllValues:`: every request value must satisfy the operator.
    ForAllValues,
}

/// A full condition operator as written in a policy, e.g.
/// `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    /// The comparison.
    pub(crate) base: BaseOperator,
    /// The set qualifier, if any.
    pub(crate) qualifier: Option<SetQualifier>,
    /// Whether the `IfExists` suffix was given: an absent key satisfies the condition.
    pub(crate) if_exists: bool,
}

impl Operator {
    /// Parses an operator name (case-insensitively); `None` if IAM has no such
    /// operator. `Null` takes neither the suffix nor a qualifier.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let mut rest = name;
        let mut qualifier = None;
        for (prefix, q) in [("ForAnyValue:", SetQualifier::ForAnyValue), ("ForAllValues:", SetQualifier::ForAllValues)]
        {
            if let Some(tail) = strip_prefix_ignore_case(rest, prefix) {
                qualifier = Some(q);
                rest = tail;
                break;
            }
        }
        let (rest, if_exists) = match strip_suffix_ignore_case(rest, "IfExists") {
            Some(head) => (head, true),
            None => (rest, false),
        };
        let base = BASE_OPERATORS.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)).map(|&(_, b)| b)?;
        if base == BaseOperator::Null && (if_exists || qualifier.is_some()) {
            return None;
        }
        Some(Operator { base, qualifier, if_exists })
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| s.get(prefix.len()..)).flatten()
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let split = s.len().checked_sub(suffix.len())?;
    let tail = s.get(split..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| s.get(..split)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suffix_and_qualifiers() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(
            op,
            Operator { base: BaseOperator::StringLike, qualifier: Some(SetQualifier::ForAnyValue), if_exists: true }
        );
        let op = Operator::parse("ForAllValues:StringEquals").unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAllValues));
        assert!(!op.if_exists);
        assert_eq!(Operator::parse("stringequalsignorecase").unwrap().base, BaseOperator::StringEqualsIgnoreCase);
        assert_eq!(Operator::parse("Null").unwrap().base, BaseOperator::Null);
    }

    #[test]
    fn every_listed_operator_parses_and_negation_is_right() {
        for (name, base) in BASE_OPERATORS {
            assert_eq!(Operator::parse(name).map(|o| o.base), Some(base), "{name}");
            assert_eq!(base.is_negated(), name.contains("Not"), "{name}");
        }
    }

    #[test]
    fn rejects_unknown_operators_and_decorated_null() {
        for bad in [
            "StringEqualz",
            "",
            "IfExists",
            "NullIfExists",
            "ForAnyValue:Null",
            "ForAllValues:",
            "ForSomeValues:StringEquals",
            "StringEqualsIfExistsIfExists",
            "ForAnyValue:ForAllValues:StringEquals",
            "StringEquals ",
            "é",
            "ForAnyValué:StringEquals",
        ] {
            assert_eq!(Operator::parse(bad), None, "{bad:?}");
        }
    }
}
