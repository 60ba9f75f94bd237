"""Seed a DynamoDB endpoint (moto on loopback) with the cold-start input.

Both sides of the cold-start benchmark read the same row, so they must agree
on it: table `Tasks` (hash key `task_id`), item `t-1` in state COMPLETED.

    python bench/seed_moto.py http://127.0.0.1:PORT   # idempotent
"""
import sys

import boto3

endpoint = sys.argv[1]
ddb = boto3.client(
    "dynamodb",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
if "Tasks" not in ddb.list_tables()["TableNames"]:
    ddb.create_table(
        TableName="Tasks",
        KeySchema=[{"AttributeName": "task_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "task_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
ddb.put_item(
    TableName="Tasks",
    Item={
        "task_id": {"S": "t-1"},
        "status": {"S": "COMPLETED"},
        "created_at": {"S": "2026-11-23T10:00:00Z"},
        "max_turns": {"N": "50"},
    },
)
print("seeded Tasks/t-1")
