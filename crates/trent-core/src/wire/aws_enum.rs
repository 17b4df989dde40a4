//! AWS enums on the wire: one trait for every closed set of strings an AWS
//! model declares (`KeySpec`, `SigningAlgorithmSpec`, `AppliedLevelEnum`, ...).
//!
//! Requests carry these members as strings. The validator turns a member into
//! its enum value in the same step that reports a value outside the set in
//! AWS's words ([`crate::wire::validate::Validator::enum_member`]), so no
//! operation parses a member again after validating it. `wire_enum!`
//! declares such an enum from its wire spellings, in the order AWS lists them.

/// An enum an AWS API model declares: a closed set of wire spellings.
///
/// It exists so validation, parsing and AWS's "enum value set" message come
/// from one list per type instead of a parse function and a hand-written
/// list at every call site. Declare types with `wire_enum!`, which writes
/// every method from the same spellings.
pub trait AwsEnum: Sized + Copy + 'static {
    /// Every value, in the order AWS lists them in its validation messages.
    const ALL: &'static [Self];

    /// The wire spelling, as AWS sends and accepts it.
    fn as_str(self) -> &'static str;

    /// The value spelled exactly `s` (AWS enums are case-sensitive), if any.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s)
    }

    /// The wire spellings as AWS lists them in "Member must satisfy enum value
    /// set: [A, B, C]", in [`AwsEnum::ALL`]'s order. `wire_enum!` writes it
    /// at compile time, so it costs nothing per request.
    fn wire_list() -> &'static str;
}

/// Declares a `pub` AWS enum and implements [`AwsEnum`], `Display` (the wire
/// spelling) and serde (the wire spelling) for it, all from one list of
/// `Variant = "WIRE"` pairs in AWS's order. Variants may carry doc comments.
macro_rules! wire_enum {
    (
        $(#[$m:meta])*
        $name:ident {
            $(#[$first_m:meta])* $first:ident = $first_wire:literal
            $(, $(#[$vm:meta])* $variant:ident = $wire:literal)* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[$first_m])* #[serde(rename = $first_wire)] $first,
            $($(#[$vm])* #[serde(rename = $wire)] $variant,)*
        }
        impl $crate::wire::aws_enum::AwsEnum for $name {
            const ALL: &'static [$name] = &[$name::$first $(, $name::$variant)*];
            fn as_str(self) -> &'static str {
                match self { $name::$first => $first_wire, $($name::$variant => $wire,)* }
            }
            fn wire_list() -> &'static str {
                concat!("[", $first_wire $(, ", ", $wire)*, "]")
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::wire::aws_enum::AwsEnum::as_str(*self))
            }
        }
    };
}

pub(crate) use wire_enum;

/// Checks what every [`AwsEnum`] promises: each value parses back from its
/// spelling, spellings are distinct, and [`AwsEnum::wire_list`] lists them in
/// [`AwsEnum::ALL`]'s order. The unit tests of each declaring module call it.
#[cfg(test)]
pub(crate) fn assert_consistent<E: AwsEnum + PartialEq + std::fmt::Debug>() {
    let spellings: Vec<&str> = E::ALL.iter().map(|e| e.as_str()).collect();
    for (i, e) in E::ALL.iter().enumerate() {
        assert_eq!(E::parse(e.as_str()), Some(*e), "{e:?} parses back from {:?}", e.as_str());
        assert!(!spellings[..i].contains(&e.as_str()), "{:?} is spelled twice", e.as_str());
    }
    assert_eq!(E::wire_list(), format!("[{}]", spellings.join(", ")));
}

#[cfg(test)]
mod tests {
    use super::*;

    wire_enum!(
        /// A test enum.
        Fruit {
            /// A documented variant.
            Apple = "APPLE",
            BloodOrange = "BLOOD_ORANGE",
            Pear = "Pear",
        }
    );

    wire_enum!(
        /// One value, no trailing comma.
        Single { Only = "ONLY" }
    );

    #[test]
    fn spellings_parse_and_list_in_declaration_order() {
        assert_eq!(Fruit::ALL, &[Fruit::Apple, Fruit::BloodOrange, Fruit::Pear]);
        assert_eq!(Fruit::BloodOrange.as_str(), "BLOOD_ORANGE");
        assert_eq!(Fruit::parse("Pear"), Some(Fruit::Pear));
        assert_eq!(Fruit::parse("PEAR"), None, "AWS enums are case-sensitive");
        assert_eq!(Fruit::parse(""), None);
        assert_eq!(Fruit::wire_list(), "[APPLE, BLOOD_ORANGE, Pear]");
        assert_eq!(Single::wire_list(), "[ONLY]");
        assert_eq!(Fruit::Apple.to_string(), "APPLE");
        assert_consistent::<Fruit>();
        assert_consistent::<Single>();
    }

    #[test]
    fn serde_uses_the_wire_spelling() {
        assert_eq!(serde_json::to_string(&Fruit::BloodOrange).expect("json"), "\"BLOOD_ORANGE\"");
        assert_eq!(serde_json::from_str::<Fruit>("\"Pear\"").expect("json"), Fruit::Pear);
        assert!(serde_json::from_str::<Fruit>("\"BloodOrange\"").is_err());
    }
}
