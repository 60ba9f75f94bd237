//! Stack names vigil can deploy, checked when they are given rather than
//! when CloudFormation has already created half the stack.
//!
//! CloudFormation takes 1–128 letters, digits and hyphens starting with a
//! letter (CreateStack's `StackName`). vigil's stack names its state
//! machine after itself (`${AWS::StackName}`), and a state machine name
//! has at most 80 characters, so a longer stack name would fail at the
//! state machine, after the role, key and function were created, and roll
//! back.

/// The longest stack name vigil deploys (its state machine's limit).
pub(crate) const MAX_STACK_NAME: usize = 80;

/// `name` if CloudFormation and the state machine inside accept it (a
/// clap value parser).
pub(crate) fn parse(name: &str) -> Result<String, String> {
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter {
        return Err(format!(
            "`{name}` is not a stack name: it must start with a letter (CloudFormation)"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "`{name}` is not a stack name: `{bad}` is not allowed (CloudFormation takes letters, \
             digits and `-`)"
        ));
    }
    let n = name.chars().count();
    if n > MAX_STACK_NAME {
        return Err(format!(
            "`{name}` has {n} characters; vigil names the stack's state machine after the stack, \
             and a state machine name has at most {MAX_STACK_NAME}"
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_anything_is_created() {
        assert_eq!(parse("vigil-smoke").as_deref(), Ok("vigil-smoke"));
        assert_eq!(parse(&"a".repeat(80)).map(|s| s.len()), Ok(80));
        for (bad, why) in [
            ("", "must start with a letter"),
            ("1stack", "must start with a letter"),
            ("-x", "must start with a letter"),
            ("vigil_smoke", "`_` is not allowed"),
            ("vigil.smoke", "`.` is not allowed"),
            (&"a".repeat(81), "has 81 characters"),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
