"""moto patch: with IAM checks on, a policy's Resource is checked against the
resource a request acts on, for the services vigil's provider calls.

With its IAM checks on (INITIAL_NO_AUTH_ACTION_COUNT, or a POST of `0` to
/moto-api/reset-auth), moto 5.2.5 (moto/iam/access_control.py, "TODO add
support for the Resource and Condition parts of IAM policies") checks every
request against the caller's identity policies, but
(1) it knows the resource only for IAM, STS, SQS and S3; for every other
    service it checks the policy against the resource `*`, so a statement
    narrowed to a table, key or secret never matches: the least-privilege
    policy vigil derives is refused whole, and one could only run with
    `Resource: *`;
(2) it turns a policy pattern into a regular expression with only `*`
    replaced, so `?` (one character, as in vigil's
    `secret:${Name}-??????`) is a regex quantifier and `.` matches
    anything; and it compares actions case-sensitively.
AWS matches `*` as any run of characters and `?` as one, everything else
literally, actions case-insensitively and resources case-sensitively
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
reference_policies_elements_action.html), against the resource ARN each
action names in the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/).

This patch gives moto the resource of each request for DynamoDB (tables and
indexes, every table of a batch or transaction), KMS (keys, aliases
resolved), Secrets Manager (secrets), Cognito user pools and SSM parameters,
and matches patterns as AWS does; a refusal is AWS's JSON
AccessDeniedException naming the action and the resource (moto answers
IAM's XML, which JSON clients cannot read). Services not listed stay checked against
`*`: a narrowed grant for them is refused locally; add the service here.

Still unchecked, as moto does not model them: conditions (moto refuses an
Allow whose condition is not met instead of ignoring it, stricter than AWS),
resource-based policies (key policies, secret policies), permission
boundaries, session policies and SCPs.

VIGIL_MOTO_UNPATCHED=iam-resources leaves moto as it is.
"""

import json
import re

import moto_written_for
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import IAMPolicyStatement
from moto.kms.models import kms_backends
from moto.kms.responses import KmsResponse
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.utilities.utils import get_partition

WRITTEN_FOR = "5.2.5"


def _pattern(pattern, case_sensitive):
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), 0 if case_sensitive else re.IGNORECASE)


def _element_matches(self, element, value):
    patterns = self._statement[element]
    patterns = patterns if isinstance(patterns, list) else [patterns]
    case_sensitive = element in ("Resource", "NotResource")
    return any(_pattern(p, case_sensitive).fullmatch(value) for p in patterns)


def _params(handler):
    if isinstance(handler.body, dict):  # DynamoHandler parses its body itself
        return handler.body
    try:
        return json.loads(handler.body or "{}")
    except ValueError:
        return {}


def _arn(handler, service, resource):
    return f"arn:{get_partition(handler.region)}:{service}:{handler.region}:{handler.current_account}:{resource}"


def _table(handler, name, index=None):
    arn = name if name.startswith("arn:") else _arn(handler, "dynamodb", f"table/{name}")
    return f"{arn}/index/{index}" if index else arn


def _dynamodb_resources(handler):
    p = _params(handler)
    action = handler._get_action()
    if action in ("BatchGetItem", "BatchWriteItem"):
        return [_table(handler, t) for t in p.get("RequestItems", {})]
    if action in ("TransactGetItems", "TransactWriteItems"):
        return [_table(handler, op["TableName"]) for item in p.get("TransactItems", []) for op in item.values()]
    if "TableName" in p:
        return [_table(handler, p["TableName"], p.get("IndexName"))]
    return ["*"]


def _kms_resources(handler):
    key = _params(handler).get("KeyId")
    if not key:
        return ["*"]
    backend = kms_backends[handler.current_account][handler.region]
    try:
        key_id = backend.any_id_to_key_id(key)
    except Exception:  # an alias that names no key: AWS checks its alias ARN
        return [key if key.startswith("arn:") else _arn(handler, "kms", key)]
    return [_arn(handler, "kms", f"key/{key_id}")]


def _secret_resources(handler):
    p = _params(handler)
    if "SecretId" in p:
        secret = secretsmanager_backends[handler.current_account][handler.region].secrets.get(p["SecretId"])
        if secret is not None:
            return [secret.arn]
        name = p["SecretId"]
        return [name if name.startswith("arn:") else _arn(handler, "secretsmanager", f"secret:{name}-??????")]
    if "Name" in p:  # CreateSecret: the ARN's suffix is not known yet
        return [_arn(handler, "secretsmanager", f"secret:{p['Name']}-??????")]
    return ["*"]


def _user_pool_resources(handler):
    pool = _params(handler).get("UserPoolId")
    return [_arn(handler, "cognito-idp", f"userpool/{pool}")] if pool else ["*"]


def _parameter(handler, name):
    return name if name.startswith("arn:") else _arn(handler, "ssm", f"parameter/{name.lstrip('/')}")


def _parameter_resources(handler):
    p = _params(handler)
    names = p.get("Names") or ([p["Name"]] if "Name" in p else []) or ([p["Path"]] if "Path" in p else [])
    return [_parameter(handler, n) for n in names] or ["*"]


RESOURCES = {
    DynamoHandler: _dynamodb_resources,
    KmsResponse: _kms_resources,
    SecretsManagerResponse: _secret_resources,
    CognitoIdpResponse: _user_pool_resources,
    SimpleSystemManagerResponse: _parameter_resources,
}


def apply():
    moto_written_for.require(
        "moto_iam_resources.py", WRITTEN_FOR, "does moto check policy Resources for DynamoDB, KMS, Secrets Manager now")
    IAMPolicyStatement._check_element_matches = _element_matches
    for handler_class, resources in RESOURCES.items():
        authorize = handler_class._authenticate_and_authorize_normal_action

        def authorize_each(self, resource="*", resources=resources, authorize=authorize):
            # every resource the request acts on must be allowed
            for each in resources(self):
                try:
                    authorize(self, each)
                except AccessDeniedError as e:
                    # these are JSON services: AWS answers in JSON and names the resource
                    raise JsonRESTError(
                        "AccessDeniedException",
                        f"{e.message} on resource: {each} because no identity-based policy allows it",
                    ) from e

        handler_class._authenticate_and_authorize_normal_action = authorize_each
