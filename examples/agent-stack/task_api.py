"""AgentStack's Task API, as a local stand-in.

vigil's first user tests "AgentStack", a coding-agent platform: users submit
tasks to a REST Task API, an agent works on them, and some tool calls wait
for a human approval. This service behaves like that API for the suite in
examples/task-lifecycle.yaml, on 127.0.0.1, backed by real DynamoDB tables
in moto and verifying real Cognito ID tokens that moto signs. It plays the
application under test (the user's code, not vigil's), so it is written in
Python like moto and runs in the same venv.

Behaviour (from the platform's documentation):

* Auth: the raw Cognito ID token in `Authorization` (no "Bearer "), RS256
  checked against the pool's JWKS; or a personal API key, in `X-Api-Key`
  or as `Authorization: Bearer <key>`; missing, invalid or revoked -> 401.
  `user_id` is the token's `sub` (the key owner's, for an API key).
* API keys (for CI jobs that cannot sign in): POST /api-keys -> 201 with
  the key in `api_key`, shown this once (only its SHA-256 is kept);
  DELETE /api-keys/{key_id} -> 200 revoked; 404 KEY_NOT_FOUND (missing,
  someone else's). Managing keys needs a Cognito token, not a key.
* Envelopes: `{"data": ...}`; errors `{"error": {code, message, request_id}}`.
* POST /tasks -> 201 SUBMITTED; 400 VALIDATION_ERROR; 422 REPO_NOT_ONBOARDED.
* GET /tasks/{id} -> 200 (no user_id); 404 TASK_NOT_FOUND; 403 FORBIDDEN.
* POST /tasks/{id}/approve|deny -> 202; 404 REQUEST_NOT_FOUND (missing,
  someone else's, already decided); 409 TASK_NOT_AWAITING_APPROVAL.
* Lifecycle, one step per `--delay` seconds (deterministic):
  SUBMITTED -> HYDRATING -> RUNNING -> FINALIZING -> COMPLETED; a coding
  task whose repository is not on the git host fails its pre-flight check
  (FAILED, `error_message` "Pre-flight check failed: ..."); a coding task
  whose description asks to write a `.env` file stops in AWAITING_APPROVAL
  with a PENDING approval row written in the same transaction as the task
  update, and resumes after the decision (denied: the write is blocked and
  the task completes without it).

usage: task_api.py --port P --aws-endpoint URL --user-pool-id ID
                   --task-table T --approvals-table A --events-table E
                   --repo-table R [--git-repos acme/web,...] [--delay 1.0]
                   [--record-credentials FILE]

--record-credentials appends every credential the API sees or issues to
FILE, one `<kind>\t<value>` line each (kinds: `authorization`,
`x-api-key`, `issued-api-key`), so a leak test knows the exact secret
strings to search vigil's outputs for.
"""

import argparse
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from joserfc import jwt
from joserfc.jwk import KeySet

WORKFLOWS = {"default/agent-v1": False, "coding/new-task-v1": True}  # -> needs a repo
STATUSES = (
    "PENDING_UPLOADS SUBMITTED HYDRATING RUNNING AWAITING_APPROVAL FINALIZING "
    "COMPLETED FAILED CANCELLED TIMED_OUT"
).split()
ENV_FILE = re.compile(r"\.env\b")
APPROVAL_WAIT_SECONDS = 600


def now():
    """ISO 8601 UTC with milliseconds, as the platform writes timestamps."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Store:
    """The four tables, through DynamoDB's low-level API."""

    def __init__(self, args):
        self.ddb = boto3.client(
            "dynamodb",
            endpoint_url=args.aws_endpoint,
            region_name=args.region,
            aws_access_key_id="agentstack",
            aws_secret_access_key="agentstack",
        )
        self.tasks, self.approvals = args.task_table, args.approvals_table
        self.events, self.repos = args.events_table, args.repo_table
        self._ser, self._de = TypeSerializer(), TypeDeserializer()
        self._seq = itertools.count(1)

    def item(self, value):
        return {k: self._ser.serialize(v) for k, v in value.items() if v is not None}

    def plain(self, item):
        out = {k: self._de.deserialize(v) for k, v in item.items()}
        return {k: (int(v) if isinstance(v, Decimal) and v == v.to_integral() else float(v))
                if isinstance(v, Decimal) else v for k, v in out.items()}

    def get(self, table, key):
        out = self.ddb.get_item(TableName=table, Key=self.item(key), ConsistentRead=True)
        return self.plain(out["Item"]) if "Item" in out else None

    def event_put(self, task_id, event_type, metadata=None):
        ts = now()
        return {"Put": {"TableName": self.events, "Item": self.item({
            "task_id": task_id,
            "event_id": f"{ts}#{next(self._seq):06d}",
            "event_type": event_type,
            "timestamp": ts,
            "metadata": metadata or {},
        })}}

    def event(self, task_id, event_type, metadata=None):
        put = self.event_put(task_id, event_type, metadata)["Put"]
        self.ddb.put_item(TableName=put["TableName"], Item=put["Item"])

    def set_status(self, task_id, status, **fields):
        fields = {"status": status, "updated_at": now(), **fields}
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":v{i}": self._ser.serialize(v) for i, v in enumerate(fields.values())}
        self.ddb.update_item(
            TableName=self.tasks,
            Key=self.item({"task_id": task_id}),
            UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        self.event(task_id, "status_changed", {"status": status})


class Tokens:
    """Verifies Cognito ID tokens against the pool's JWKS (fetched once)."""

    def __init__(self, endpoint, region, pool_id):
        self.url = f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        self._keys = None
        self._lock = threading.Lock()

    def keys(self):
        with self._lock:
            if self._keys is None:
                with urllib.request.urlopen(self.url, timeout=10) as r:
                    self._keys = KeySet.import_key_set(json.load(r))
            return self._keys

    def user(self, header):
        if not header:
            raise ApiError(401, "UNAUTHORIZED", "missing Authorization header")
        try:
            token = jwt.decode(header, self.keys(), algorithms=["RS256"])
        except Exception as e:  # any malformed or badly signed token
            raise ApiError(401, "UNAUTHORIZED", f"invalid token: {type(e).__name__}")
        claims = token.claims
        if claims.get("token_use") != "id" or claims.get("iss") != self.issuer:
            raise ApiError(401, "UNAUTHORIZED", "not an ID token of this user pool")
        if claims.get("exp", 0) < time.time():
            raise ApiError(401, "UNAUTHORIZED", "token expired")
        return claims["sub"]


class Credentials:
    """Appends each credential seen or issued to a file (see --record-credentials)."""

    def __init__(self, path):
        self.path, self._lock = path, threading.Lock()

    def record(self, kind, value):
        if self.path and value:
            with self._lock, open(self.path, "a", encoding="utf-8") as f:
                f.write(f"{kind}\t{value}\n")


class ApiKeys:
    """Personal API keys, kept by SHA-256 (in memory: the stand-in's keys
    live as long as the process)."""

    def __init__(self):
        self._by_hash, self._by_id = {}, {}
        self._lock = threading.Lock()

    @staticmethod
    def digest(key):
        return hashlib.sha256(key.encode()).hexdigest()

    def issue(self, user, name):
        key = "vk_" + secrets.token_urlsafe(32)
        row = {"key_id": f"ak-{uuid.uuid4()}", "user_id": user, "name": name,
               "created_at": now(), "revoked_at": None}
        with self._lock:
            self._by_hash[self.digest(key)] = row
            self._by_id[row["key_id"]] = row
        return key, row

    def user(self, key):
        with self._lock:
            row = self._by_hash.get(self.digest(key))
        if row is None or row["revoked_at"]:
            raise ApiError(401, "UNAUTHORIZED", "unknown or revoked API key")
        return row["user_id"]

    def revoke(self, user, key_id):
        with self._lock:
            row = self._by_id.get(key_id)
            if row is None or row["user_id"] != user or row["revoked_at"]:
                raise ApiError(404, "KEY_NOT_FOUND", f"no API key {key_id}")
            row["revoked_at"] = now()
            return dict(row)


class Lifecycle:
    """Moves each task through its states, one step per `delay` seconds."""

    def __init__(self, store, delay, git_repos):
        self.store, self.delay, self.git_repos = store, delay, git_repos

    def start(self, task):
        threading.Thread(target=self.run, args=(task,), daemon=True).start()

    def step(self, task_id, status, **fields):
        time.sleep(self.delay)
        self.store.set_status(task_id, status, **fields)

    def run(self, task):
        task_id = task["task_id"]
        try:
            self.step(task_id, "HYDRATING")
            repo = task.get("repo")
            if WORKFLOWS[task["workflow_ref"]] and repo not in self.git_repos:
                self.step(
                    task_id,
                    "FAILED",
                    error_message=f"Pre-flight check failed: repository {repo} was not found on the git host",
                )
                return
            self.step(task_id, "RUNNING")
            if WORKFLOWS[task["workflow_ref"]] and ENV_FILE.search(task["task_description"]):
                decision = self.await_approval(task)
                if decision is None:
                    return
                if decision["status"] == "DENIED":
                    self.store.event(task_id, "tool_call_blocked", {
                        "request_id": decision["request_id"], "tool_name": "write_file"})
                else:
                    self.store.event(task_id, "tool_call_executed", {
                        "request_id": decision["request_id"], "tool_name": "write_file"})
                self.step(task_id, "RUNNING")
            self.step(task_id, "FINALIZING")
            self.step(task_id, "COMPLETED")
        except Exception as e:  # keep the failure visible in the task row
            self.store.set_status(task_id, "FAILED", error_message=f"stand-in error: {e}")

    def await_approval(self, task):
        """AWAITING_APPROVAL + a PENDING approval row, in one transaction."""
        time.sleep(self.delay)
        s, task_id = self.store, task["task_id"]
        request_id = f"req-{uuid.uuid4()}"
        ts = now()
        s.ddb.transact_write_items(TransactItems=[
            {"Update": {
                "TableName": s.tasks,
                "Key": s.item({"task_id": task_id}),
                "UpdateExpression": "SET #s = :s, updated_at = :u, awaiting_approval_request_id = :r",
                "ConditionExpression": "#s = :running",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": s.item({
                    ":s": "AWAITING_APPROVAL", ":u": ts, ":r": request_id, ":running": "RUNNING"}),
            }},
            {"Put": {"TableName": s.approvals, "Item": s.item({
                "task_id": task_id,
                "request_id": request_id,
                "status": "PENDING",
                "user_id": task["user_id"],
                "tool_name": "write_file",
                "reason": "The agent wants to write a .env file",
                "severity": "high",
                "created_at": ts,
            })}},
            s.event_put(task_id, "approval_requested", {
                "request_id": request_id, "tool_name": "write_file", "severity": "high"}),
        ])
        deadline = time.time() + APPROVAL_WAIT_SECONDS
        while time.time() < deadline:
            row = s.get(s.approvals, {"task_id": task_id, "request_id": request_id})
            if row and row["status"] != "PENDING":
                return row
            time.sleep(0.2)
        s.set_status(task_id, "TIMED_OUT")
        return None


class Api:
    def __init__(self, store, tokens, lifecycle, keys, credentials):
        self.store, self.tokens, self.lifecycle = store, tokens, lifecycle
        self.keys, self.credentials = keys, credentials

    def caller(self, headers, keys_allowed):
        """The caller's user id, from an API key or a Cognito ID token."""
        authorization, api_key = headers.get("authorization"), headers.get("x-api-key")
        self.credentials.record("authorization", authorization)
        self.credentials.record("x-api-key", api_key)
        bearer = authorization[len("Bearer "):] if authorization and authorization.startswith("Bearer ") else None
        key = api_key or bearer
        if key is not None:
            if not keys_allowed:
                raise ApiError(403, "FORBIDDEN", "API keys cannot manage API keys")
            return self.keys.user(key)
        return self.tokens.user(authorization)

    def create_key(self, user, body):
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "VALIDATION_ERROR", "name is required")
        key, row = self.keys.issue(user, name)
        self.credentials.record("issued-api-key", key)
        return 201, {"key_id": row["key_id"], "name": name, "api_key": key, "created_at": row["created_at"]}

    def revoke_key(self, user, key_id):
        row = self.keys.revoke(user, key_id)
        return 200, {"key_id": row["key_id"], "name": row["name"], "revoked_at": row["revoked_at"]}

    def create(self, user, body):
        if not isinstance(body, dict):
            raise ApiError(400, "VALIDATION_ERROR", "the body must be a JSON object")
        wf = body.get("workflow_ref")
        if wf not in WORKFLOWS:
            raise ApiError(400, "VALIDATION_ERROR", f"workflow_ref must be one of {', '.join(WORKFLOWS)}")
        desc = body.get("task_description")
        if not isinstance(desc, str) or not desc.strip():
            raise ApiError(400, "VALIDATION_ERROR", "task_description is required")
        turns = body.get("max_turns")
        if isinstance(turns, bool) or not isinstance(turns, int) or not 1 <= turns <= 500:
            raise ApiError(400, "VALIDATION_ERROR", "max_turns must be an integer from 1 to 500")
        budget = body.get("max_budget_usd")
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0.01 <= budget <= 100:
            raise ApiError(400, "VALIDATION_ERROR", "max_budget_usd must be from 0.01 to 100")
        repo = body.get("repo")
        if WORKFLOWS[wf] and not repo:
            raise ApiError(400, "VALIDATION_ERROR", f"repo is required for {wf}")
        if repo is not None and (not isinstance(repo, str) or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo)):
            raise ApiError(400, "VALIDATION_ERROR", "repo must be owner/name")
        if repo:
            row = self.store.get(self.store.repos, {"repo": repo})
            if not row or row.get("status") != "active":
                raise ApiError(422, "REPO_NOT_ONBOARDED", f"repository {repo} is not onboarded")
        ts = now()
        task = {
            "task_id": str(uuid.uuid4()),
            "user_id": user,
            "status": "SUBMITTED",
            "workflow_ref": wf,
            "repo": repo,
            "task_description": desc,
            "max_turns": turns,
            "max_budget_usd": Decimal(str(budget)),
            "created_at": ts,
            "updated_at": ts,
        }
        s = self.store
        s.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": s.tasks, "Item": s.item(task),
                     "ConditionExpression": "attribute_not_exists(task_id)"}},
            s.event_put(task["task_id"], "task_created", {"workflow_ref": wf, "user_id": user}),
        ])
        self.lifecycle.start(task)
        return 201, self.public(s.plain(s.item(task)))

    @staticmethod
    def public(task):
        return {k: v for k, v in task.items() if k != "user_id"}

    def owned_task(self, user, task_id):
        task = self.store.get(self.store.tasks, {"task_id": task_id})
        if task is None:
            raise ApiError(404, "TASK_NOT_FOUND", f"task {task_id} does not exist")
        if task["user_id"] != user:
            raise ApiError(403, "FORBIDDEN", "the task belongs to another user")
        return task

    def get(self, user, task_id):
        return 200, self.public(self.owned_task(user, task_id))

    def decide(self, user, task_id, decision, body):
        if not isinstance(body, dict) or not isinstance(body.get("request_id"), str):
            raise ApiError(400, "VALIDATION_ERROR", "request_id is required")
        if body.get("decision") != decision:
            raise ApiError(400, "VALIDATION_ERROR", f'decision must be "{decision}" on this endpoint')
        s, request_id = self.store, body["request_id"]
        row = s.get(s.approvals, {"task_id": task_id, "request_id": request_id})
        if row is None or row["user_id"] != user or row["status"] != "PENDING":
            raise ApiError(404, "REQUEST_NOT_FOUND", f"no pending approval request {request_id}")
        task = s.get(s.tasks, {"task_id": task_id})
        if task is None or task["status"] != "AWAITING_APPROVAL":
            raise ApiError(409, "TASK_NOT_AWAITING_APPROVAL", "the task is not awaiting an approval")
        status = "APPROVED" if decision == "approve" else "DENIED"
        ts = now()
        fields = {":s": status, ":d": ts, ":pending": "PENDING"}
        update = "SET #s = :s, decided_at = :d"
        extra = {}
        if decision == "approve" and body.get("scope"):
            fields[":scope"], update, extra["scope"] = body["scope"], update + ", #scope = :scope", body["scope"]
        if decision == "deny" and body.get("reason"):
            fields[":reason"], update = body["reason"], update + ", deny_reason = :reason"
        names = {"#s": "status"}
        if ":scope" in fields:
            names["#scope"] = "scope"
        try:
            s.ddb.transact_write_items(TransactItems=[
                {"Update": {
                    "TableName": s.approvals,
                    "Key": s.item({"task_id": task_id, "request_id": request_id}),
                    "UpdateExpression": update,
                    "ConditionExpression": "#s = :pending",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": s.item(fields),
                }},
                s.event_put(task_id, "approval_decision_recorded", {
                    "request_id": request_id, "status": status, "decided_at": ts,
                    "caller_user_id": user}),
            ])
        except s.ddb.exceptions.TransactionCanceledException:
            raise ApiError(404, "REQUEST_NOT_FOUND", f"no pending approval request {request_id}")
        data = {"task_id": task_id, "request_id": request_id, "status": status, "decided_at": ts, **extra}
        return 202, data


# (method, path, whether an API key may call it, action)
ROUTES = [
    ("POST", re.compile(r"^/tasks$"), True, lambda api, u, m, b: api.create(u, b)),
    ("GET", re.compile(r"^/tasks/([^/]+)$"), True, lambda api, u, m, b: api.get(u, m[1])),
    ("POST", re.compile(r"^/tasks/([^/]+)/approve$"), True, lambda api, u, m, b: api.decide(u, m[1], "approve", b)),
    ("POST", re.compile(r"^/tasks/([^/]+)/deny$"), True, lambda api, u, m, b: api.decide(u, m[1], "deny", b)),
    ("POST", re.compile(r"^/api-keys$"), False, lambda api, u, m, b: api.create_key(u, b)),
    ("DELETE", re.compile(r"^/api-keys/([^/]+)$"), False, lambda api, u, m, b: api.revoke_key(u, m[1])),
]


def handler(api, verbose):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            if verbose:
                super().log_message(fmt, *args)

        def reply(self, status, payload):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self):
            request_id = str(uuid.uuid4())
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            try:
                if self.command == "GET" and path == "/health":
                    return self.reply(200, {"data": {"ok": True}})
                for method, pattern, keys_allowed, action in ROUTES:
                    m = pattern.match(path)
                    if m and method == self.command:
                        user = api.caller(self.headers, keys_allowed)
                        try:
                            body = json.loads(raw) if raw else None
                        except ValueError:
                            raise ApiError(400, "VALIDATION_ERROR", "the body is not JSON")
                        status, data = action(api, user, m, body)
                        return self.reply(status, {"data": data})
                raise ApiError(404, "NOT_FOUND", f"no route {self.command} {path}")
            except ApiError as e:
                self.reply(e.status, {"error": {"code": e.code, "message": e.message, "request_id": request_id}})
            except Exception as e:  # an internal error is still an envelope
                self.reply(500, {"error": {"code": "INTERNAL", "message": str(e), "request_id": request_id}})

        do_GET = do_POST = do_PUT = do_DELETE = handle_any

    return Handler


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--aws-endpoint", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--user-pool-id", required=True)
    p.add_argument("--task-table", required=True)
    p.add_argument("--approvals-table", required=True)
    p.add_argument("--events-table", required=True)
    p.add_argument("--repo-table", required=True)
    p.add_argument("--git-repos", default="", help="comma-separated repositories the git host has")
    p.add_argument("--delay", type=float, default=1.0, help="seconds per lifecycle step")
    p.add_argument("--record-credentials", help="append every credential seen or issued to this file")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    store = Store(args)
    api = Api(
        store,
        Tokens(args.aws_endpoint, args.region, args.user_pool_id),
        Lifecycle(store, args.delay, {r for r in args.git_repos.split(",") if r}),
        ApiKeys(),
        Credentials(args.record_credentials),
    )
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(api, args.verbose))
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
