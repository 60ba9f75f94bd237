//! The `aws` call against moto, through the whole provider protocol, for
//! every service the issue names: DynamoDB, Step Functions, Secrets Manager,
//! Cognito IdP, CloudWatch Logs, SSM, KMS and SQS.

use vigil_test_support as support;

use std::sync::Arc;
use std::time::Duration;

use assertion_provider::clock::SystemClock;
use assertion_provider::sealing::KeySource;
use serde_json::{Value, json};
use support::*;
use vigil_protocol::{CaptureTable, ErrorKind, StepOutcome, Verdict};

async fn run(p: &assertion_provider::Provider, step: Value) -> vigil_protocol::ProviderResponse {
    p.handle(request(step, CaptureTable::default(), None), None)
        .await
}

fn assert_pass(r: &vigil_protocol::ProviderResponse, what: &str) {
    assert_eq!(
        r.verdict,
        Verdict::Pass,
        "{what}: {}",
        serde_json::to_string_pretty(&r.report).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_named_json_service_answers_through_the_provider() {
    let (_moto, aws_c, p) = tasks_on_moto().await;

    // DynamoDB: a nested matcher on the item, in the API's own shapes.
    aws(
        &aws_c,
        "dynamodb",
        "PutItem",
        json!({"TableName": "Tasks", "Item": {
            "task_id": {"S": "t-1"}, "status": {"S": "COMPLETED"}, "turns": {"N": "12"},
            "events": {"L": [{"S": "created"}, {"S": "done"}]}
        }}),
    )
    .await;
    let r = run(&p, json!({
        "id": "get-task",
        "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                 "params": {"TableName": "Tasks", "Key": {"task_id": {"S": "t-1"}}}},
        "select": "$.Item",
        "expect": {"objectLike": {
            "status": {"objectLike": {"S": {"stringLikeRegexp": "^(COMPLETED|FAILED)$"}}},
            "turns": {"objectLike": {"N": {"numeric": {"gte": 1, "lte": 500}}}},
            "events": {"objectLike": {"L": {"arrayWith": [{"objectLike": {"S": {"exact": "done"}}}]}}},
            "error_message": "absent"
        }}
    })).await;
    assert_pass(&r, "dynamodb");

    // Step Functions.
    aws(&aws_c, "stepfunctions", "CreateStateMachine", json!({
        "name": "sm", "roleArn": "arn:aws:iam::123456789012:role/r",
        "definition": json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string()
    })).await;
    let r = run(&p, json!({
        "id": "list-sm",
        "call": {"kind": "aws", "service": "stepfunctions", "operation": "ListStateMachines"},
        "expect": {"objectLike": {"stateMachines": {"arrayWith": [{"objectLike": {"name": {"exact": "sm"}}}]}}}
    })).await;
    assert_pass(&r, "stepfunctions");

    // Secrets Manager.
    aws(
        &aws_c,
        "secretsmanager",
        "CreateSecret",
        json!({"Name": "app/config", "SecretString": "{\"mode\":\"e2e\"}"}),
    )
    .await;
    let r = run(&p, json!({
        "id": "secret",
        "call": {"kind": "aws", "service": "secretsmanager", "operation": "GetSecretValue", "params": {"SecretId": "app/config"}},
        "select": "$.SecretString",
        "expect": {"serializedJson": {"objectLike": {"mode": {"exact": "e2e"}}}}
    })).await;
    assert_pass(&r, "secretsmanager");

    // Cognito IdP.
    aws(
        &aws_c,
        "cognito-idp",
        "CreateUserPool",
        json!({"PoolName": "users"}),
    )
    .await;
    let r = run(&p, json!({
        "id": "pools",
        "call": {"kind": "aws", "service": "cognito-idp", "operation": "ListUserPools", "params": {"MaxResults": 10}},
        "select": "$.UserPools[*].Name",
        "expect": {"arrayContaining": [{"exact": "users"}]}
    })).await;
    assert_pass(&r, "cognito-idp");

    // CloudWatch Logs.
    aws(
        &aws_c,
        "logs",
        "CreateLogGroup",
        json!({"logGroupName": "/vigil/test"}),
    )
    .await;
    let r = run(&p, json!({
        "id": "groups",
        "call": {"kind": "aws", "service": "logs", "operation": "DescribeLogGroups", "params": {"logGroupNamePrefix": "/vigil"}},
        "expect": {"objectLike": {"logGroups": {"every": {"objectLike": {"logGroupName": {"stringContains": "/vigil/"}}}}}}
    })).await;
    assert_pass(&r, "logs");

    // SSM.
    aws(
        &aws_c,
        "ssm",
        "PutParameter",
        json!({"Name": "/vigil/flag", "Value": "on", "Type": "String"}),
    )
    .await;
    let r = run(&p, json!({
        "id": "param",
        "call": {"kind": "aws", "service": "ssm", "operation": "GetParameter", "params": {"Name": "/vigil/flag"}},
        "select": "$.Parameter.Value",
        "expect": {"exact": "on"}
    })).await;
    assert_pass(&r, "ssm");

    // KMS.
    let key = aws(&aws_c, "kms", "CreateKey", json!({"Description": "vigil"})).await;
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let r = run(&p, json!({
        "id": "key",
        "call": {"kind": "aws", "service": "kms", "operation": "DescribeKey", "params": {"KeyId": key_id}},
        "expect": {"objectLike": {"KeyMetadata": {"objectLike": {"KeyState": {"exact": "Enabled"}, "Description": {"exact": "vigil"}}}}}
    })).await;
    assert_pass(&r, "kms");

    // SQS (awsJson 1.0 in current models).
    aws(&aws_c, "sqs", "CreateQueue", json!({"QueueName": "jobs"})).await;
    let r = run(&p, json!({
        "id": "queue",
        "call": {"kind": "aws", "service": "sqs", "operation": "GetQueueUrl", "params": {"QueueName": "jobs"}},
        "expect": {"objectLike": {"QueueUrl": {"stringLikeRegexp": "/jobs$"}}}
    })).await;
    assert_pass(&r, "sqs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_fail_fast_with_their_code() {
    let moto = Moto::start().await;
    let p = provider(
        &moto.url,
        &moto.url,
        Arc::new(SystemClock),
        KeySource::Unconfigured,
        Duration::from_secs(10),
    );

    // A validation-class error (missing table) fails at once, even when polled.
    let r = run(
        &p,
        json!({
            "id": "missing-table",
            "call": {"kind": "aws", "service": "dynamodb", "operation": "GetItem",
                     "params": {"TableName": "Nope", "Key": {"task_id": {"S": "x"}}}},
            "poll": {"timeout": "1m"}
        }),
    )
    .await;
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.report.attempt, 1);
    let StepOutcome::Error { error } = &r.report.outcome else {
        panic!("{:?}", r.report)
    };
    assert_eq!(error.kind, ErrorKind::Client);
    assert_eq!(error.code.as_deref(), Some("ResourceNotFoundException"));
    assert_eq!(error.status, Some(400));

    // An unknown service and a non-JSON one are explained, not attempted.
    for (service, needle) in [
        ("dynamo", "unknown AWS service `dynamo`"),
        ("s3", "speaks RestXml"),
    ] {
        let r = run(&p, json!({"id": "bad", "call": {"kind": "aws", "service": service, "operation": "ListBuckets"}})).await;
        let StepOutcome::Error { error } = &r.report.outcome else {
            panic!("{:?}", r.report)
        };
        assert_eq!(error.kind, ErrorKind::InvalidStep);
        assert!(error.message.contains(needle), "{}", error.message);
        assert!(
            !error.message.contains("dynamodb, "),
            "a short message, not the whole service table: {}",
            error.message
        );
    }
}
