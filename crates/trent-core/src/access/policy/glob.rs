//! `*` / `?` wildcard matching, shared by Action, Resource, `StringLike` and
//! the `Arn*` condition operators.
//!
//! Matching is a dynamic programme over (text position, pattern position), so
//! it runs in O(text × pattern) time whatever the pattern: a hostile policy
//! such as `a*a*a*a*…b` cannot make evaluation blow up.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// A character that must appear as is.
    Literal(char),
    /// `?`: exactly one character; `colon` says whether that may be `:`.
    One { colon: bool },
    /// `*`: any run of characters, possibly empty; `colon` says whether the run may contain `:`.
    Run { colon: bool },
}

/// A compiled wildcard pattern that matches a whole text.
///
/// It exists so that every part of the policy engine that accepts wildcards
/// (actions, resource ARNs, `StringLike`, `ArnLike`) shares one matcher with
/// one complexity bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    tokens: Vec<Token>,
    /// Compare ASCII letters case-insensitively (the pattern is stored lowercased).
    fold_ascii_case: bool,
}

impl Glob {
    /// A case-sensitive pattern where `*` and `?` match any characters (`StringLike`).
    pub(crate) fn text(pattern: &str) -> Self {
        let tokens = pattern
            .chars()
            .map(|c| match c {
                '*' => Token::Run { colon: true },
                '?' => Token::One { colon: true },
                c => Token::Literal(c),
            })
            .collect();
        Self { tokens, fold_ascii_case: false }
    }

    /// A pattern compared ASCII-case-insensitively (action names: `kms:encrypt` = `kms:Encrypt`).
    pub(crate) fn ascii_case_insensitive(pattern: &str) -> Self {
        let mut glob = Self::text(&pattern.to_ascii_lowercase());
        glob.fold_ascii_case = true;
        glob
    }

    /// An ARN pattern, as IAM matches the Resource element and `ArnLike`:
    /// wildcards stay within one colon-separated segment, except that a `*`
    /// ending a segment (followed by `:` or by the end of the pattern) may run
    /// across colons, so `arn:aws:kms:*` still matches every KMS ARN.
    pub(crate) fn arn(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        let tokens = chars
            .iter()
            .enumerate()
            .map(|(i, &c)| match c {
                '*' => Token::Run { colon: matches!(chars.get(i + 1), None | Some(':')) },
                '?' => Token::One { colon: false },
                c => Token::Literal(c),
            })
            .collect();
        Self { tokens, fold_ascii_case: false }
    }

    /// Whether the whole of `text` matches the pattern.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        // Fast paths for the shapes policies use most: `*`, a plain name, and
        // a name followed by one unrestricted `*` (`kms:*`, `kms:Generate*`).
        match self.tokens.split_last() {
            None => return text.is_empty(),
            Some((Token::Run { colon: true }, head)) if head.iter().all(|t| matches!(t, Token::Literal(_))) => {
                return self.literal_prefix(head, text).is_some();
            }
            Some(_) if self.tokens.iter().all(|t| matches!(t, Token::Literal(_))) => {
                return self.literal_prefix(&self.tokens, text) == Some("");
            }
            Some(_) => {}
        }
        self.general_match(text)
    }

    /// If `text` starts with the literal `tokens`, the rest of `text`.
    fn literal_prefix<'t>(&self, tokens: &[Token], text: &'t str) -> Option<&'t str> {
        let mut rest = text.chars();
        for t in tokens {
            let Token::Literal(l) = *t else { return None };
            let c = rest.next()?;
            let c = if self.fold_ascii_case { c.to_ascii_lowercase() } else { c };
            if c != l {
                return None;
            }
        }
        Some(rest.as_str())
    }

    /// The dynamic programme for any pattern.
    fn general_match(&self, text: &str) -> bool {
        let m = self.tokens.len();
        // prev[j]: the pattern's first j tokens match the text consumed so far.
        let mut prev = vec![false; m + 1];
        prev[0] = true;
        for j in 1..=m {
            prev[j] = prev[j - 1] && matches!(self.tokens[j - 1], Token::Run { .. });
        }
        let mut next = vec![false; m + 1];
        for c in text.chars() {
            let c = if self.fold_ascii_case { c.to_ascii_lowercase() } else { c };
            next[0] = false;
            for j in 1..=m {
                next[j] = match self.tokens[j - 1] {
                    Token::Literal(l) => prev[j - 1] && l == c,
                    Token::One { colon } => prev[j - 1] && (colon || c != ':'),
                    Token::Run { colon } => next[j - 1] || (prev[j] && (colon || c != ':')),
                };
            }
            std::mem::swap(&mut prev, &mut next);
            if !prev.contains(&true) {
                return false;
            }
        }
        prev[m]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_patterns_match_whole_strings() {
        let g = Glob::text("ab*c?");
        assert!(g.is_match("abcd"));
        assert!(g.is_match("abXYZcd"));
        assert!(!g.is_match("abc"), "? needs exactly one character");
        assert!(!g.is_match("xabcd"), "anchored at the start");
        assert!(!g.is_match("ABcd"), "case-sensitive");
        assert!(Glob::text("*").is_match(""));
        assert!(Glob::text("").is_match(""));
        assert!(!Glob::text("").is_match("a"));
        assert!(Glob::text("a:*").is_match("a:b:c"));
    }

    #[test]
    fn star_and_question_mark_match_multibyte_characters() {
        assert!(Glob::text("é?é").is_match("éüé"));
        assert!(Glob::text("*ü").is_match("ééü"));
        assert!(!Glob::text("?").is_match("éé"));
    }

    #[test]
    fn ascii_folding_is_case_insensitive_both_ways() {
        let g = Glob::ascii_case_insensitive("kms:Generate*");
        assert!(g.is_match("kms:GenerateDataKey"));
        assert!(g.is_match("KMS:GENERATEMAC"));
        assert!(!g.is_match("kms:Encrypt"));
    }

    #[test]
    fn arn_wildcards_stay_inside_a_segment_unless_they_end_it() {
        let g = Glob::arn("arn:aws:kms:us-east-1:1111?2223333:key/*");
        assert!(g.is_match("arn:aws:kms:us-east-1:111122223333:key/abc"));
        assert!(!g.is_match("arn:aws:kms:us-east-1:1111:2223333:key/abc"), "? does not match a colon");
        let mid = Glob::arn("arn:aws:kms:us-*1:111122223333:key/k");
        assert!(mid.is_match("arn:aws:kms:us-east-1:111122223333:key/k"));
        let crossing = "arn:aws:kms:us:east-1:111122223333:key/k";
        assert!(!Glob::arn("arn:aws:kms:u*1:111122223333:key/k").is_match(crossing), "a mid-segment * stops at colons");
        assert!(Glob::text("arn:aws:kms:u*1:111122223333:key/k").is_match(crossing), "unlike a text pattern");
        assert!(Glob::arn("arn:aws:kms:*").is_match("arn:aws:kms:us-east-1:111122223333:key/k"));
        assert!(Glob::arn("*").is_match("arn:aws:kms:us-east-1:111122223333:key/k"));
    }

    #[test]
    fn pathological_patterns_finish_quickly() {
        let pattern = format!("{}b", "a*".repeat(200));
        let text = "a".repeat(2000);
        assert!(!Glob::text(&pattern).is_match(&text));
    }

    #[test]
    fn fast_paths_agree_with_the_general_match() {
        let patterns = ["*", "", "kms:*", "kms:Generate*", "kms:Encrypt", "KMS:encrypt", "k*s", "kms:?ncrypt", "a*"];
        let texts = ["", "kms:Encrypt", "kms:GenerateDataKey", "kms:Generate", "kms:encrypt", "kms", "a", "kmss"];
        for p in patterns {
            for g in [Glob::text(p), Glob::ascii_case_insensitive(p), Glob::arn(p)] {
                for t in texts {
                    assert_eq!(g.is_match(t), g.general_match(t), "pattern {p:?} text {t:?} glob {g:?}");
                }
            }
        }
    }
}
