//! "Did you mean ...?" for a misspelt name: a key, a tag, a service, an
//! operation, a member.
//!
//! A suggestion is offered only when it is close enough to be the likely
//! intent (a typo, a missing or doubled letter, a wrong case), so a wrong
//! name never comes with a misleading guess.

/// The candidate closest to `word`, when one is close: case-insensitively
/// equal, or within an edit distance of a third of the longer name
/// (at least 1, at most 3).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let distance = if c.to_lowercase() == lower {
            0
        } else {
            strsim::damerau_levenshtein(&lower, &c.to_lowercase())
        };
        let limit = (word.chars().count().max(c.chars().count()) / 3).clamp(1, 3);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean `x`?` for an error message, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_intended_name() {
        let keys = ["select", "expect", "capture", "poll", "after"];
        assert_eq!(closest("selct", keys), Some("select"));
        assert_eq!(closest("expcet", keys), Some("expect"));
        assert_eq!(closest("Poll", keys), Some("poll"));
        let tags = ["$regex", "$contains", "$present"];
        assert_eq!(closest("$regx", tags), Some("$regex"));
        assert_eq!(closest("dynamo", ["dynamodb", "ds"]), Some("dynamodb"));
        assert_eq!(
            closest("GetItems", ["GetItem", "BatchGetItem"]),
            Some("GetItem")
        );
    }

    #[test]
    fn unrelated_names_get_no_guess() {
        assert_eq!(closest("s3", ["dynamodb", "sqs", "sns"]), None);
        assert_eq!(closest("timeout", ["select", "expect"]), None);
        assert_eq!(did_you_mean("zzz", ["abc"]), "");
        assert_eq!(did_you_mean("abd", ["abc"]), "; did you mean `abc`?");
    }
}
