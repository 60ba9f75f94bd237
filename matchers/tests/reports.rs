//! What a person reads when a poll gives up: the human and compact renderings
//! of a realistic failing step, snapshotted so a change to the wording is a
//! reviewed change.

use serde_json::json;
use vigil_matchers::{EvalContext, authoring};

fn failing_report() -> vigil_matchers::Report {
    let pattern = authoring::parse(&json!({
        "Item": {
            "task_id": {"S": {"$regex": "^t-[0-9a-f]{8}$"}},
            "status": {"S": {"$anyOf": ["COMPLETED", "FINALIZING"]}},
            "error_message": {"$absent": true},
            "created_at": {"S": {"$timestamp": {"within": "10m"}}},
            "max_turns": {"N": {"$between": [1, 500]}},
            "events": {"L": {"$arrayWith": [{"M": {"event_type": {"S": "task_created"}}}, {"M": {"event_type": {"S": "approval_decision_recorded"}, "decision": {"S": "approve"}}}]}}
        }
    }))
    .unwrap();
    let actual = json!({
        "Item": {
            "task_id": {"S": "t-1234567"},
            "status": {"S": "RUNNING"},
            "error_message": {"S": "Pre-flight check failed: repo not found ".repeat(12)},
            "created_at": {"S": "2026-11-23T09:30:00Z"},
            "max_turns": {"N": "900"},
            "events": {"L": [
                {"M": {"event_type": {"S": "task_created"}}},
                {"M": {"event_type": {"S": "approval_decision_recorded"}, "decision": {"S": "deny"}}}
            ]}
        }
    });
    let now = vigil_matchers::parse_rfc3339("2026-11-23T10:00:00Z").unwrap();
    pattern.evaluate(&actual, &EvalContext::new(now))
}

#[test]
fn human_report_lists_every_mismatch_with_its_path() {
    insta::assert_snapshot!(failing_report().render_human());
}

#[test]
fn compact_report_is_stable_json() {
    insta::assert_json_snapshot!(failing_report().to_json());
}
