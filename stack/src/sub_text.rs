//! Text for `Fn::Sub`: literal pieces escaped, stack parameters and
//! pseudo parameters as `${Name}`, unknown parts as `*`.
//!
//! ARNs are built as Sub text so that a table named by a stack output
//! becomes `arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TaskTable}`
//! and CloudFormation fills it in at deploy time, while user text that
//! happens to contain `${` can never be read as a reference.

use std::fmt;

/// Valid `Fn::Sub` text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SubText(String);

/// The start of every ARN in the stack's own partition, region and account.
pub const HERE: &str = "arn:${AWS::Partition}:";

impl SubText {
    /// Empty text.
    pub fn new() -> Self {
        SubText(String::new())
    }

    /// Text that is already valid Sub syntax (written by vigil itself).
    pub fn raw(text: &str) -> Self {
        SubText(text.to_owned())
    }

    /// Literal text, escaped so that `${` stays literal.
    pub fn literal(text: &str) -> Self {
        let mut s = SubText::new();
        s.push_literal(text);
        s
    }

    /// Appends literal text.
    pub fn push_literal(&mut self, text: &str) {
        self.0.push_str(&text.replace("${", "${!"));
    }

    /// Appends a reference to a template parameter or pseudo parameter.
    pub fn push_ref(&mut self, name: &str) {
        self.0.push_str("${");
        self.0.push_str(name);
        self.0.push('}');
    }

    /// Appends a wildcard: a part whose value is only known at run time.
    pub fn push_wildcard(&mut self) {
        if !self.0.ends_with('*') {
            self.0.push('*');
        }
    }

    /// Appends other Sub text.
    pub fn push(&mut self, other: &SubText) {
        self.0.push_str(&other.0);
    }

    /// Sub text followed by more raw Sub text.
    pub fn then(mut self, raw: &str) -> Self {
        self.0.push_str(raw);
        self
    }

    /// The Sub text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the text references nothing (no `${` other than escapes),
    /// so it can be a plain string.
    pub fn is_plain(&self) -> bool {
        !self.0.replace("${!", "").contains("${")
    }

    /// The literal text this stands for, when it is plain.
    pub fn plain(&self) -> Option<String> {
        self.is_plain().then(|| self.0.replace("${!", "${"))
    }

    /// The parameter this text is exactly a reference to (`${TaskTable}`),
    /// if it is one; pseudo parameters (`AWS::Region`) are not.
    pub fn whole_ref(&self) -> Option<&str> {
        let name = self.0.strip_prefix("${")?.strip_suffix('}')?;
        let is_param = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric());
        is_param.then_some(name)
    }

    /// True when the whole text is one wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.0 == "*"
    }

    /// True when the text starts with literal `prefix`.
    pub fn starts_with_literal(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }

    /// An ARN in this stack's partition, region and account:
    /// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:<resource>`.
    pub fn regional_arn(service: &str, resource: &SubText) -> SubText {
        let mut s = SubText::raw(HERE);
        s.push_literal(service);
        s.0.push_str(":${AWS::Region}:${AWS::AccountId}:");
        s.push(resource);
        s
    }
}

impl fmt::Display for SubText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_escaped_and_refs_are_not() {
        let mut s = SubText::literal("a${b}");
        s.push_ref("Table");
        s.push_wildcard();
        s.push_wildcard();
        assert_eq!(s.as_str(), "a${!b}${Table}*");
        assert!(!s.is_plain());
        let p = SubText::literal("x${y}");
        assert_eq!(p.plain().as_deref(), Some("x${y}"));
    }

    #[test]
    fn whole_references_are_told_apart() {
        let mut p = SubText::new();
        p.push_ref("TaskTable");
        assert_eq!(p.whole_ref(), Some("TaskTable"));
        for other in [
            "${AWS::Region}",
            "x${TaskTable}",
            "${TaskTable}x",
            "${!x}",
            "Tasks",
            "*",
        ] {
            assert_eq!(SubText::raw(other).whole_ref(), None, "{other}");
        }
    }

    #[test]
    fn regional_arns_use_pseudo_parameters() {
        let arn = SubText::regional_arn("dynamodb", &SubText::literal("table/Tasks"));
        assert_eq!(
            arn.as_str(),
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Tasks"
        );
    }
}
