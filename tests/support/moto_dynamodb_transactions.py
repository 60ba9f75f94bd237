"""moto patch: DynamoDB transactions are isolated, as DynamoDB's are.

moto 5.2.5's `transact_write_items` (moto/dynamodb/models/__init__.py)
applies the transaction's writes one by one and, when one is cancelled,
puts back deep copies of the whole tables taken before it started. moto's
server runs requests on several threads and nothing stops another request
from writing to those tables meanwhile, so a cancelled transaction erases
writes it never touched (seen: 3 of 300 concurrent PutItems lost), some
requests fail with HTTP 500, and readers can see a half-applied
transaction. DynamoDB's transactions are serializable: no other request
sees or overwrites a partial one
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation).
One lock around every DynamoDB request gives that (moto's DynamoDB then
serves one request at a time, which is ample for tests).

VIGIL_MOTO_UNPATCHED=transact-write-items leaves moto as it is, so the load
in moto_transactions.py can show it still finds the defect.
"""

import threading

import moto_written_for
from moto.dynamodb.responses import DynamoHandler

WRITTEN_FOR = "5.2.5"


def apply():
    moto_written_for.require(
        "moto_dynamodb_transactions.py", WRITTEN_FOR, "are moto's DynamoDB transactions isolated now")
    lock = threading.RLock()
    call_action = DynamoHandler.call_action

    def serialized_call_action(self):
        with lock:
            return call_action(self)

    DynamoHandler.call_action = serialized_call_action
