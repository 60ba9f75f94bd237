//! Last line of defence for secrets in reports: any text of a mismatch that
//! contains a secret value in use (an unsealed capture, or a value this step
//! captures as secret) shows `<redacted>` instead.

use serde_json::Value;
use vigil_matchers::{Actual, Mismatch, Report};

const REDACTED: &str = "<redacted>";

/// The ways a secret can appear in report text: as itself, and as it
/// appears inside JSON text (escaped, without the quotes).
fn needles(secrets: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets {
        match s {
            Value::String(text) => {
                out.push(text.clone());
                let json = Value::String(text.clone()).to_string();
                out.push(json[1..json.len() - 1].to_owned());
            }
            other => out.push(other.to_string()),
        }
    }
    out.retain(|n| !n.is_empty());
    out.sort_by_key(|n| std::cmp::Reverse(n.len()));
    out.dedup();
    out
}

fn scrub(text: &mut String, needles: &[String]) -> bool {
    let mut hit = false;
    for n in needles {
        if text.contains(n.as_str()) {
            *text = text.replace(n.as_str(), REDACTED);
            hit = true;
        }
    }
    hit
}

fn scrub_mismatch(m: &mut Mismatch, needles: &[String]) {
    scrub(&mut m.expected, needles);
    scrub(&mut m.reason, needles);
    if let Actual::Value { preview, .. } = &mut m.actual
        && scrub(preview, needles)
    {
        m.actual = Actual::Redacted;
    }
    for d in &mut m.details {
        scrub_mismatch(d, needles);
    }
}

/// The report with every occurrence of the secrets replaced.
pub fn redact_report(report: Report, secrets: &[Value]) -> Report {
    let needles = needles(secrets);
    if needles.is_empty() {
        return report;
    }
    let mut mismatches = report.into_mismatches();
    for m in &mut mismatches {
        scrub_mismatch(m, &needles);
    }
    Report::new(mismatches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vigil_matchers::{EvalContext, authoring};

    #[test]
    fn secrets_vanish_from_every_text() {
        let m = authoring::parse(&json!({"token": {"$regex": "^x"}, "user": "bob"})).unwrap();
        let actual = json!({"token": "eyJ\"secret", "user": "eyJ\"secret"});
        let r = m.evaluate(&actual, &EvalContext::at_system_time());
        let r = redact_report(r, &[json!("eyJ\"secret")]);
        let text = format!("{r}{}", r.to_json());
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(r.mismatches().len(), 2);
        assert!(r.mismatches().iter().all(|m| m.actual == Actual::Redacted));
    }
}
