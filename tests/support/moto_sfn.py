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

It also patches moto's CloudFormation so that stacks deployed with change sets
behave as vigil's deploy expects from AWS (see the two sections below):
state machines made by a stack land in the executing backend and honour
`Definition`/`DefinitionSubstitutions`; Outputs exist; a failed resource gives
a *_FAILED event and a rollback status; "no changes" gives a FAILED change set;
KMS keys made by a stack keep their tags. GetExecutionHistory pages its
events as Step Functions does (moto_history_paging.py); a bucket made by a
stack gets its versioning and lifecycle rules (moto_s3_bucket_properties.py).

With VIGIL_INVOKE_FAULTS=RATE:SEED (e.g. `0.25:7`) the proxy fails that
share of Lambda Invoke requests the way the Lambda service does when it is
throttled or unwell (429 TooManyRequestsException, 500 ServiceException),
before they reach the provider, so tests can check that the state machine's
Retry absorbs them and that every one is counted.  GET /__vigil/invoke-faults
on the proxy port answers the counts so far.

usage: moto_sfn.py PORT PROXY_PORT LAMBDA_URL LAMBDA_FUNCTION
"""

import http.server
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
config.default_user_config["stepfunctions"]["execute_state_machine"] = True
config.default_user_config["lambda"]["use_docker"] = False
os.environ["MOTO_PORT"] = proxy_port

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
threading.Thread(target=server.serve_forever, daemon=True).start()


# --- AWS::StepFunctions::StateMachine through CloudFormation -----------------
# moto 5.2.5's CloudFormation model for state machines (1) always writes to
# `stepfunctions_backends`, but with execute_state_machine on, the API serves
# the separate executing backend (`stepfunctions_parser_backends`), so
# StartExecution on a CloudFormation-made machine says StateMachineDoesNotExist;
# (2) reads only `DefinitionString`, ignoring `Definition` (object) and
# `DefinitionSubstitutions`; (3) has no `Arn` attribute for Fn::GetAtt.
# We replace the three lifecycle hooks so they use the backend the API uses
# (`responses.get_backend`) and build the definition the way CloudFormation
# does.  Intrinsics (Ref, Fn::GetAtt, ...) inside the properties, including the
# DefinitionSubstitutions values, are already resolved by moto's clean_json
# before these hooks run.  NB: clean_json also drops dict entries whose value
# is JSON null (e.g. `"ResultPath": null` in a `Definition` object); real
# CloudFormation rejects nulls in templates, so emit such ASL as
# `DefinitionString` instead.
import re as _re  # noqa: E402

from moto.stepfunctions.models import StateMachine  # noqa: E402
from moto.stepfunctions.utils import cfn_to_api_tags  # noqa: E402
from moto.stepfunctions.responses import get_backend as _sfn_backend  # noqa: E402


def _cfn_definition(props):
    """Definition (object) or DefinitionString, with ${key} replaced for each key
    of DefinitionSubstitutions; other ${...} tokens are left as they are, like
    real CloudFormation (our step payload templates use `${param}`)."""
    if "Definition" in props:
        definition = json.dumps(props["Definition"])
    else:
        definition = props.get("DefinitionString", "")
    subs = props.get("DefinitionSubstitutions") or {}

    def value(match):
        v = subs[match.group(1)]
        return v if isinstance(v, str) else json.dumps(v)

    if subs:
        definition = _re.sub(r"\$\{([^}]*)\}", lambda m: value(m) if m.group(1) in subs else m.group(0), definition)
    return definition


def _cfn_logging(props):
    """CloudFormation's LoggingConfiguration -> the API's loggingConfiguration."""
    cfg = props.get("LoggingConfiguration")
    if not cfg:
        return None
    return {
        "level": cfg.get("Level", "OFF"),
        "includeExecutionData": bool(cfg.get("IncludeExecutionData", False)),
        "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": d.get("CloudWatchLogsLogGroup", {}).get("LogGroupArn")}}
            for d in cfg.get("Destinations", [])
        ],
    }


def _sm_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]
    return _sfn_backend(account_id, region_name).create_state_machine(
        props.get("StateMachineName", resource_name),
        _cfn_definition(props),
        props.get("RoleArn", ""),
        tags=cfn_to_api_tags(props.get("Tags", [])),
        loggingConfiguration=_cfn_logging(props),
        sm_type=props.get("StateMachineType", "STANDARD"),
    )


def _sm_delete(cls, resource_name, cloudformation_json, account_id, region_name):
    # resource_name is the physical id, i.e. the ARN
    _sfn_backend(account_id, region_name).delete_state_machine(resource_name)


def _sm_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    props = cloudformation_json.get("Properties", {})
    if props.get("StateMachineName", original_resource.name) != original_resource.name:
        # a new name means replacement, as in AWS
        new = _sm_create(cls, new_resource_name, cloudformation_json, account_id, region_name)
        _sm_delete(cls, original_resource.arn, cloudformation_json, account_id, region_name)
        return new
    backend = _sfn_backend(account_id, region_name)
    sm = backend.update_state_machine(
        original_resource.arn,
        definition=_cfn_definition(props) if ("Definition" in props or "DefinitionString" in props) else None,
        role_arn=props.get("RoleArn"),
        logging_configuration=_cfn_logging(props),
    )
    backend.tagger.tag_resource(sm.arn, cfn_to_api_tags(props.get("Tags", [])))
    return sm


_sm_get_att = StateMachine.get_cfn_attribute
StateMachine.create_from_cloudformation_json = classmethod(_sm_create)
StateMachine.delete_from_cloudformation_json = classmethod(_sm_delete)
StateMachine.update_from_cloudformation_json = classmethod(_sm_update)
StateMachine.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Arn", "Name"))
StateMachine.get_cfn_attribute = lambda self, attr: self.arn if attr == "Arn" else _sm_get_att(self, attr)


# --- CloudFormation change sets, the way vigil deploys -------------------------
# moto 5.2.5 runs ExecuteChangeSet synchronously and
# (1) never rebuilds the stack's Outputs (a stack born from a CREATE change set
#     has none) nor records the new parameters (so later "no change" checks
#     compare against the first ones);
# (2) on a resource error raises it from ExecuteChangeSet (sometimes as a body
#     boto3 cannot parse) and leaves the stack in REVIEW_IN_PROGRESS /
#     *_COMPLETE, half built, with no *_FAILED event;
# (3) answers CreateChangeSet with the same template and parameters with a
#     ValidationError "No updates are to be performed." (UpdateStack's answer)
#     instead of AWS's FAILED change set "The submitted information didn't
#     contain changes. ...".
# (4) stores None for a resource whose type has no update hook (LogGroup, KMS
#     Key), breaking every later Ref/GetAtt to it;
# (5) looks change set names up across all stacks, answers HTTP 500 for an
#     unknown change set or an UPDATE of a ROLLBACK_COMPLETE stack, and lets a
#     CREATE change set make a second stack with an existing name.
# We fix (1), make (2) look like AWS (a CREATE_FAILED/UPDATE_FAILED event on
# the resource with the error as reason, then ROLLBACK_COMPLETE for a create,
# or UPDATE_ROLLBACK_COMPLETE after re-applying the previous template for an
# update; ExecuteChangeSet itself succeeds), make (3) the FAILED change set,
# keep the old resource for (4) (the change is ignored), and give (5) AWS's
# ValidationErrors.
from moto.cloudformation import parsing as _cfn_parsing  # noqa: E402
from moto.cloudformation.exceptions import ValidationError  # noqa: E402
from moto.cloudformation.models import CloudFormationBackend, Event, Stack  # noqa: E402
from moto.cloudformation.responses import CloudFormationResponse  # noqa: E402

_first_failure = threading.local()  # (logical id, type, reason) of the first resource that failed


def _recording(fn):
    def wrapper(logical_id, resource_json, *args, **kwargs):
        try:
            return fn(logical_id, resource_json, *args, **kwargs)
        except Exception as e:
            if getattr(_first_failure, "value", ()) is None:
                reason = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
                _first_failure.value = (logical_id, resource_json.get("Type"), reason)
            raise

    return wrapper


def _keep_if_not_updatable(fn):
    # moto returns None for a type without an update hook (AWS::Logs::LogGroup,
    # AWS::KMS::Key, ...) and stores that None as the resource, so every later
    # Ref/GetAtt to it fails; keep the old resource instead (change ignored)
    def wrapper(logical_id, resource_json, resources_map, *args, **kwargs):
        new = fn(logical_id, resource_json, resources_map, *args, **kwargs)
        return new if new is not None else resources_map[logical_id]

    return wrapper


# ResourceMap looks these up as module globals at call time
_cfn_parsing.parse_and_create_resource = _recording(_cfn_parsing.parse_and_create_resource)
_cfn_parsing.parse_and_update_resource = _recording(_keep_if_not_updatable(_cfn_parsing.parse_and_update_resource))
_execute_change_set = CloudFormationBackend.execute_change_set


def _resource_event(stack, logical_id, resource_type, status, reason):
    stack.events.append(Event(stack.stack_id, stack.name, logical_id, "", resource_type, status, reason, None))


def _execute_change_set_like_aws(self, change_set_name, stack_name=None):
    # moto matches a change set name across all stacks; scope it by stack
    named = [cs for cs in self.change_sets.values()
             if cs.change_set_name == change_set_name and stack_name in (None, cs.stack_name, cs.stack_id)]
    change_set = self.change_sets.get(change_set_name) or (named[-1] if named else None)
    if change_set is None or change_set.stack_id not in self.stacks:
        raise ValidationError(message=f"ChangeSet [{change_set_name}] does not exist")  # moto: HTTP 500
    stack = self.stacks[change_set.stack_id]
    previous_template, previous_parameters = stack.template, stack.parameters
    _first_failure.value = None
    try:
        _execute_change_set(self, change_set.change_set_id, stack_name)
        stack._parse_template()
        stack.output_map = stack._create_output_map()
        stack.outputs  # resolve now, so a bad Ref/GetAtt fails the deploy rather than DescribeStacks
    except Exception as e:
        error = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
        failed = _first_failure.value  # None: not a resource's error (parameters, outputs)
        if stack.events and stack.events[-1].resource_status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            stack.events.pop()  # moto's execute finished; the Outputs failed after it
        creating = change_set.change_set_type == "CREATE"
        if failed:
            logical_id, resource_type, error = failed
            _resource_event(stack, logical_id, resource_type, "CREATE_FAILED" if creating else "UPDATE_FAILED", error)
            verb = "create" if creating else "update"
            error = f"The following resource(s) failed to {verb}: [{logical_id}]. "
        if creating:
            stack._add_stack_event("ROLLBACK_IN_PROGRESS", error + ("Rollback requested by user." if failed else ""))
            try:
                stack.resource_map.delete()
            except Exception:
                pass
            stack.resource_map._resource_json_map = {}  # else ListStackResources would build them again
            stack.template_dict = {}
            stack._add_stack_event("ROLLBACK_COMPLETE")
            stack.status = "ROLLBACK_COMPLETE"
        else:
            stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", error)
            stack.template = previous_template
            try:  # best effort: re-apply the previous template
                stack.resource_map.update(Stack.parse_template(previous_template), previous_parameters)
            except Exception:
                pass
            stack._parse_template()
            stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
        stack.output_map = stack._create_output_map()
        change_set.execution_status = "EXECUTE_FAILED"
        return
    finally:
        _first_failure.value = ()
    stack.parameters = change_set.parameters
    stack.description = stack.template_dict.get("Description")


CloudFormationBackend.execute_change_set = _execute_change_set_like_aws
_create_change_set = CloudFormationResponse.create_change_set


def _create_change_set_like_aws(self):
    name, change_set_name = self._get_param("StackName"), self._get_param("ChangeSetName")
    stacks = [st for st in self.cloudformation_backend.stacks.values() if st.name == name]
    if self._get_param("ChangeSetType", "CREATE") == "UPDATE":
        for st in stacks:
            self._validate_status(st)  # ROLLBACK_COMPLETE cannot be updated (moto: HTTP 500)
    elif any(st.status != "REVIEW_IN_PROGRESS" for st in stacks):  # moto: makes a second stack
        raise ValidationError(
            message=f"Stack [{name}] already exists and cannot be created again with the changeSet [{change_set_name}]."
        )
    # skip the response-level "No updates are to be performed." check; the
    # backend then marks an unchanged change set FAILED, as AWS does
    self._validate_different_update = lambda *args, **kwargs: None
    return _create_change_set(self)


CloudFormationResponse.create_change_set = _create_change_set_like_aws

# --- AWS::KMS::Key Tags: kept (tests/support/moto_kms_key_tags.py) -----------
if "kms-key-tags" not in os.environ.get("VIGIL_MOTO_UNPATCHED", "").split(","):
    import moto_kms_key_tags  # noqa: E402

    moto_kms_key_tags.apply()

# --- DynamoDB TransactWriteItems: atomic and isolated, as DynamoDB's are -------
# moto 5.2.5's `transact_write_items` applies the transaction's writes one by
# one and, when one is cancelled, puts back deep copies of the whole tables
# taken before it started. moto's server runs requests on several threads
# and nothing stops another request from writing to those tables in the
# meantime, so a cancelled transaction erases writes it never touched (seen:
# 3 of 300 concurrent PutItems lost), and readers can see the half-applied
# transaction. DynamoDB's transactions are serializable: no other request
# sees or overwrites a partial one. One lock around every DynamoDB request
# gives that (moto's DynamoDB is then one request at a time, which is ample
# for tests). VIGIL_MOTO_UNPATCHED=transact-write-items leaves moto as it is,
# so the test that finds the defect can show it still finds it.
# (tests/support/moto_transactions.py.)
if "transact-write-items" not in os.environ.get("VIGIL_MOTO_UNPATCHED", "").split(","):
    from moto.dynamodb.responses import DynamoHandler  # noqa: E402

    _dynamodb_lock = threading.RLock()
    _call_action = DynamoHandler.call_action

    def _serialized_call_action(self):
        with _dynamodb_lock:
            return _call_action(self)

    DynamoHandler.call_action = _serialized_call_action

# --- GetExecutionHistory: paged as Step Functions pages it -------------------
# (tests/support/moto_history_paging.py says what and why.)
if "history-paging" not in os.environ.get("VIGIL_MOTO_UNPATCHED", "").split(","):
    import moto_history_paging  # noqa: E402

    moto_history_paging.apply()

# --- AWS::S3::Bucket: versioning and lifecycle rules applied -----------------
# (tests/support/moto_s3_bucket_properties.py says what and why.)
if "s3-bucket-properties" not in os.environ.get("VIGIL_MOTO_UNPATCHED", "").split(","):
    import moto_s3_bucket_properties  # noqa: E402

    moto_s3_bucket_properties.apply()

from moto.server import main  # noqa: E402  (after the config change)

main(["-H", "127.0.0.1", "-p", port])
