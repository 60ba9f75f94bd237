"""moto server with Step Functions executions on, and Lambda invocations
routed to `cargo lambda watch`.

moto 5.2.5 only runs state machines when `execute_state_machine` is set,
and its engine invokes Lambda through boto3 at http://localhost:$MOTO_PORT.
This launcher sets the flag, points MOTO_PORT at a small loopback proxy
that sends Lambda Invoke of a function that exists in moto's Lambda to
cargo lambda watch (translating its 500 for a handler error into AWS's
200 + X-Amz-Function-Error), answers an Invoke of one that does not as
Lambda does (404 ResourceNotFoundException), and sends everything else to
moto, then starts moto's own server. Everything binds to 127.0.0.1.

It then applies the patches that make moto behave as AWS where vigil
depends on it, each in its own module next to this one (moto_*.py; the
PATCHES table below); VIGIL_MOTO_UNPATCHED=name,... leaves the named ones
out, so a test can show each is still needed.

GET /__vigil/lambda-credentials/FUNCTION on the proxy port answers what
Lambda gives a function's execution environment: credentials of the
function's execution role (moto's STS AssumeRole, after checking the role
trusts lambda.amazonaws.com), as JSON {AccessKeyId, SecretAccessKey, Token,
Expiration}. With moto's IAM checks on, a provider run with them can call
only what its role allows.

With VIGIL_INVOKE_FAULTS=RATE:SEED (e.g. `0.25:7`) the proxy fails that
share of Lambda Invoke requests the way the Lambda service does when it is
throttled or unwell (429 TooManyRequestsException, 500 ServiceException),
before they reach the provider, so tests can check that the state machine's
Retry absorbs them and that every one is counted.  GET /__vigil/invoke-faults
on the proxy port answers the counts so far.

usage: moto_sfn.py PORT PROXY_PORT LAMBDA_URL LAMBDA_FUNCTION

PORT and PROXY_PORT may be 0: the system picks free ones. Once both listen,
the launcher prints one line to stdout, `vigil-moto-launcher ready
moto=PORT proxy=PORT`, and nothing else there.
"""

import http.server
import importlib
import json
import os
import random
import re
import sys
import threading
import urllib.error
import urllib.request

from moto.core import config

port, proxy_port, lambda_url, lambda_function = sys.argv[1:5]
READY = "vigil-moto-launcher ready"
config.default_user_config["stepfunctions"]["execute_state_machine"] = True
config.default_user_config["lambda"]["use_docker"] = False

INVOKE = re.compile(r"^/2015-03-31/functions/[^/]+/invocations")

# (error type, HTTP status, body) as the Lambda service answers them.
INVOKE_FAULTS = [
    ("TooManyRequestsException", 429,
     {"Type": "User", "message": "Rate Exceeded. (injected)", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}),
    ("ServiceException", 500, {"Type": "Service", "Message": "Internal error (injected)"}),
]
_fault_rate, _, _fault_seed = os.environ.get("VIGIL_INVOKE_FAULTS", "0:0").partition(":")
_fault_rng = random.Random(int(_fault_seed or 0))
_fault_rate = float(_fault_rate)
_fault_lock = threading.Lock()
_faults_injected = {name: 0 for name, _, _ in INVOKE_FAULTS}


def _unknown_function(path, authorization):
    """Lambda's answer to an Invoke of a function that does not exist in
    moto's Lambda (by name, or ARN with its account and region), or None.
    Every existing function is served by the one provider under cargo
    lambda watch; a wrong FunctionName in a definition fails as on AWS
    (404 ResourceNotFoundException) instead of reaching the provider."""
    from urllib.parse import unquote

    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.utils import get_backend  # the backend the Lambda API serves
    from moto.core import DEFAULT_ACCOUNT_ID

    name = unquote(path.split("/")[3])
    arn = re.match(r"^arn:[^:]+:lambda:([^:]+):(\d{12}):function:", name)
    scope = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/", authorization)
    region, account = (arn.group(1), arn.group(2)) if arn else (
        scope.group(1) if scope else "us-east-1", DEFAULT_ACCOUNT_ID)
    try:
        get_backend(account, region).get_function(name)
    except UnknownFunctionException as e:
        return e.message
    return None


def _trusts_lambda(policy_document):
    """Whether a role's trust policy lets the Lambda service assume it."""
    policy = json.loads(policy_document) if isinstance(policy_document, str) else policy_document
    statements = policy.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        services = st.get("Principal", {}).get("Service", []) if isinstance(st.get("Principal"), dict) else []
        services = services if isinstance(services, list) else [services]
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if (st.get("Effect") == "Allow" and "lambda.amazonaws.com" in services
                and any(a.lower() in ("sts:assumerole", "sts:*", "*") for a in actions)):
            return True
    return False


def _lambda_credentials(function, region="us-east-1"):
    """(HTTP status, body) with the credentials Lambda gives `function`'s
    execution environment: its execution role, assumed as the Lambda service
    assumes it. A role that does not trust lambda.amazonaws.com gets none,
    as on AWS, where such a function cannot be created or run."""
    from urllib.parse import unquote

    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.utils import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    try:
        fn = get_backend(DEFAULT_ACCOUNT_ID, region).get_function(unquote(function))
    except UnknownFunctionException as e:
        return 404, {"message": e.message}
    try:
        role = iam_backends[DEFAULT_ACCOUNT_ID]["aws"].get_role_by_arn(fn.role)
    except Exception:
        return 403, {"message": f"the execution role {fn.role} of {fn.function_name} does not exist"}
    if not _trusts_lambda(role.assume_role_policy_document):
        return 403, {"message": f"the execution role {fn.role} does not trust lambda.amazonaws.com"}
    session = sts_backends[DEFAULT_ACCOUNT_ID]["aws"].assume_role(
        region_name=region, role_session_name=fn.function_name, role_arn=fn.role,
        policy=None, duration=3600, external_id=None)
    return 200, {"AccessKeyId": session.access_key_id, "SecretAccessKey": session.secret_access_key,
                 "Token": session.session_token, "Expiration": session.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _injected_fault():
    """The fault to answer this invocation with, or None to forward it."""
    with _fault_lock:
        if _fault_rate <= 0 or _fault_rng.random() >= _fault_rate:
            return None
        fault = _fault_rng.choice(INVOKE_FAULTS)
        _faults_injected[fault[0]] += 1
        return fault


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status, headers, payload):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path == "/__vigil/invoke-faults":
            with _fault_lock:
                counts = dict(_faults_injected)
            return self._answer(200, {"content-type": "application/json"}, json.dumps(counts).encode())
        if self.path.startswith("/__vigil/lambda-credentials/"):
            status, answer = _lambda_credentials(self.path.rsplit("/", 1)[1])
            return self._answer(status, {"content-type": "application/json"}, json.dumps(answer).encode())
        fault = _injected_fault() if INVOKE.match(self.path) else None
        if fault:
            name, status, error = fault
            # moto's engine reads the request id of a failed call (a KeyError,
            # reported as States.Runtime, without one), as AWS always sends.
            headers = {"content-type": "application/json", "x-amzn-ErrorType": name,
                       "x-amzn-RequestId": f"injected-{sum(_faults_injected.values())}"}
            return self._answer(status, headers, json.dumps(error).encode())
        if INVOKE.match(self.path):
            missing = _unknown_function(self.path, self.headers.get("authorization", ""))
            if missing:
                headers = {"content-type": "application/json", "x-amzn-ErrorType": "ResourceNotFoundException",
                           "x-amzn-RequestId": "vigil-proxy-unknown-function"}
                return self._answer(404, headers, json.dumps({"Type": "User", "Message": missing}).encode())
            target = f"{lambda_url}/2015-03-31/functions/{lambda_function}/invocations"
            headers = {"content-type": "application/json"}
        else:
            target = f"http://127.0.0.1:{port}{self.path}"
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        req = urllib.request.Request(target, data=body if body else None, method=self.command, headers=headers)
        extra = {}
        try:
            with urllib.request.urlopen(req, timeout=900) as resp:
                status, payload, resp_headers = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            status, payload, resp_headers = e.code, e.read(), dict(e.headers)
            if INVOKE.match(self.path) and status == 500:
                status, extra = 200, {"X-Amz-Function-Error": "Unhandled"}
        self.send_response(status)
        for k, v in resp_headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(proxy_port)), Proxy)
proxy_port = str(server.server_address[1])  # the one bound, when given 0
os.environ["MOTO_PORT"] = proxy_port
threading.Thread(target=server.serve_forever, daemon=True).start()


# --- moto patches: each in its own module, named by VIGIL_MOTO_UNPATCHED ------
# Each module says what moto does, what AWS does (with the doc), checks the
# moto version it was written for, and has a test that fails when moto no
# longer needs it (deployer/tests/moto_patches.rs). Order matters once:
# cfn-change-sets records the failures of cfn-updates' update hooks.
PATCHES = {
    "cfn-state-machines": "moto_cfn_state_machines",
    "cfn-updates": "moto_cfn_updates",
    "cfn-change-sets": "moto_cfn_change_sets",
    "kms-key-tags": "moto_kms_key_tags",
    "transact-write-items": "moto_dynamodb_transactions",
    "history-paging": "moto_history_paging",
    "s3-bucket-properties": "moto_s3_bucket_properties",
    "iam-resources": "moto_iam_resources",
    "sigv4-raw-body": "moto_sigv4_raw_body",
}
_unpatched = {n for n in os.environ.get("VIGIL_MOTO_UNPATCHED", "").split(",") if n}
if _unpatched - set(PATCHES):
    raise SystemExit(f"VIGIL_MOTO_UNPATCHED names no patch: {sorted(_unpatched - set(PATCHES))}; "
                     f"the patches are {sorted(PATCHES)}")
for _name, _module in PATCHES.items():
    if _name not in _unpatched:
        importlib.import_module(_module).apply()

# moto's own server, bound before it says it is ready: with port 0 the
# system picks free ports, so concurrent tests never race for one.
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

app = DomainDispatcherApplication(create_backend_app)
app.debug = True
moto_server = make_server("127.0.0.1", int(port), app, threaded=True, request_handler=MotoRequestHandler)
port = str(moto_server.server_port)  # where the proxy forwards
print(f"{READY} moto={port} proxy={proxy_port}", flush=True)
moto_server.serve_forever()
