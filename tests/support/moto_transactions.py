"""Do concurrent writes survive a cancelled DynamoDB transaction?

DynamoDB's TransactWriteItems is all-or-nothing and isolated: while one is
cancelled, writes other clients make to the same table are kept. moto
5.2.5 restores whole tables from a copy taken before the transaction, so
writes that land meanwhile are lost (moto_dynamodb_transactions.py patches it).

This script writes PUTS items with PutItem from several threads while other
threads run transactions that are always cancelled (a Put plus a failing
ConditionCheck on the same table, the shape of ABCA's refused approvals),
then counts how many of the PutItems are still there. The table holds
PRELOAD items first, so each restore copies a table big enough for writes
to land during it.

usage: moto_transactions.py ENDPOINT   (prints one JSON line)
"""

import json
import sys
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

PRELOAD, WRITERS, PUTS_EACH, CANCELLERS = 1500, 4, 75, 2

endpoint = sys.argv[1]
ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing",
                   config=Config(retries={"max_attempts": 1}))
table = "TransactionsUnderLoad"
ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
for i in range(0, PRELOAD, 25):
    ddb.batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": {"pk": {"S": f"preload-{j}"}, "pad": {"S": "x" * 200}}}}
        for j in range(i, min(i + 25, PRELOAD))]})

done = threading.Event()
cancelled = [0]
# moto 5.2.5 also fails some of these transactions with HTTP 500 when
# another request changes the table while it is being copied: counted,
# since DynamoDB never does that either.
server_errors = [0]


def cancel_transactions():
    n = 0
    while not done.is_set():
        n += 1
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": f"txn-{threading.get_ident()}-{n}"}}}},
                {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "preload-0"}},
                                    "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        except ClientError as e:
            if e.response["Error"]["Code"] == "TransactionCanceledException":
                cancelled[0] += 1
            elif e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 500:
                server_errors[0] += 1
            else:
                raise


def write(w):
    for i in range(PUTS_EACH):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"put-{w}-{i}"}})


cancellers = [threading.Thread(target=cancel_transactions) for _ in range(CANCELLERS)]
writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
for t in cancellers + writers:
    t.start()
for t in writers:
    t.join()
done.set()
for t in cancellers:
    t.join()

keys = [{"pk": {"S": f"put-{w}-{i}"}} for w in range(WRITERS) for i in range(PUTS_EACH)]
present = 0
for i in range(0, len(keys), 100):
    got = ddb.batch_get_item(RequestItems={table: {"Keys": keys[i:i + 100], "ConsistentRead": True}})
    present += len(got["Responses"][table])
leaked = ddb.scan(TableName=table, FilterExpression="begins_with(pk, :t)",
                  ExpressionAttributeValues={":t": {"S": "txn-"}}, Select="COUNT")["Count"]
print(json.dumps({"puts": len(keys), "lost": len(keys) - present, "cancelled": cancelled[0],
                  "server_errors": server_errors[0], "cancelled_writes_kept": leaked}))
