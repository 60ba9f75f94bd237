"""AgentStack (ABCA's `backgroundagent-dev` stack) on one machine, with
ABCA's real code: where the code comes from, the stack's resources in
moto, and the harness that runs the handlers, the orchestrator and the
agent (harness/, agent/).

* The ABCA source: `VIGIL_ABCA_DIR`, else `../shared/abca/vendor` beside
  the checkout, else a clone of the pinned commit (needs internet) in
  `~/.cache/vigil/abca/<commit>`. Nothing of ABCA's code is in vigil's
  repository.
* The npm packages the handlers and the orchestrator import, pinned in
  harness/package.json and package-lock.json, installed by
  `scripts/install-tools` under `~/.cache/vigil/abca-npm` ($VIGIL_ABCA_NPM);
  the agent modules' PyPI packages (cedarpy, opentelemetry-api) in the venv.
* The stack's resources, as ABCA's CDK constructs define them
  (`cdk/src/constructs/*.ts`, `cdk/src/stacks/agent.ts`): the DynamoDB
  tables with their keys, GSIs, TTL and streams through a CloudFormation
  stack whose outputs carry AgentStack's output names; the Cognito user
  pool and app client, the GitHub token secret (a random value, as CDK
  generates one when none is given) and the S3 buckets through their APIs
  (moto's CloudFormation has no Cognito or Secrets Manager types), passed
  into the stack as parameters so they are outputs too.
* What an operator provisions once in ABCA's integ account (PR #348): a
  GitHub sandbox repository and a secret holding a PAT for it
  (INTEG_SANDBOX_REPO, INTEG_PAT_SECRET_ID), here on the GitHub double.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ABCA_REPOSITORY = "https://github.com/aws-samples/sample-autonomous-cloud-coding-agents.git"
ABCA_COMMIT = "2cee8800c26ac33cfc3acd782be0da61727b548f"
STACK = "backgroundagent-dev"
ACCOUNT = "123456789012"
# The integ account's sandbox (ABCA PR #348: INTEG_SANDBOX_REPO,
# INTEG_PAT_SECRET_ID), provisioned on the GitHub double.
SANDBOX_REPO = "abca-integ/sandbox"
PAT_SECRET = "integ/github-pat"


def cache_dir():
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vigil"


def npm_prefix():
    return Path(os.environ.get("VIGIL_ABCA_NPM", cache_dir() / "abca-npm"))


class AbcaSourceMissing(RuntimeError):
    pass


def abca_dir():
    """The ABCA checkout whose `cdk/`, `agent/` and `contracts/` run here."""
    given = os.environ.get("VIGIL_ABCA_DIR")
    if given:
        path = Path(given).resolve()
        if not (path / "cdk" / "src" / "handlers").is_dir():
            raise AbcaSourceMissing(f"VIGIL_ABCA_DIR={given}: no cdk/src/handlers/ there (expected an ABCA checkout)")
        return path
    beside = (ROOT.parent / "shared" / "abca" / "vendor").resolve()
    if (beside / "cdk" / "src" / "handlers").is_dir():
        return beside
    clone = cache_dir() / "abca" / ABCA_COMMIT
    if (clone / "cdk" / "src" / "handlers").is_dir():
        return clone
    tmp = clone.with_name(clone.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["git", "clone", "--quiet", "--filter=blob:none", "--no-checkout", ABCA_REPOSITORY, str(tmp)],
                       check=True, timeout=600, capture_output=True)
        subprocess.run(["git", "-C", str(tmp), "checkout", "--quiet", ABCA_COMMIT], check=True, timeout=600,
                       capture_output=True)
    except (subprocess.SubprocessError, OSError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise AbcaSourceMissing(
            "the ABCA source is not here: set VIGIL_ABCA_DIR to a checkout of "
            f"{ABCA_REPOSITORY} at {ABCA_COMMIT}, or put the vendored subset at {beside}; "
            f"cloning it failed ({e})") from e
    tmp.rename(clone)
    return clone


def check_installed():
    """The npm packages and the agent's PyPI packages, or a clear error."""
    prefix = npm_prefix()
    if not (prefix / "node_modules" / "@aws" / "durable-execution-sdk-js-testing").is_dir():
        raise AbcaSourceMissing(f"the harness's npm packages are not in {prefix}: run scripts/install-tools")
    try:
        import cedarpy  # noqa: F401
        import opentelemetry  # noqa: F401
    except ImportError as e:
        raise AbcaSourceMissing(f"the agent's Python packages are missing ({e}): run scripts/install-tools") from e


# --- the stack's resources ---------------------------------------------------

def _table(keys, gsis=(), stream=False):
    """AWS::DynamoDB::Table as ABCA's constructs declare it: PAY_PER_REQUEST,
    TTL on `ttl`, PITR on, string keys."""
    attrs = dict(keys)
    for g in gsis:
        attrs.update(dict(g["keys"]))
    props = {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in attrs],
        "KeySchema": [{"AttributeName": k, "KeyType": t} for (k, _), t in zip(keys, ("HASH", "RANGE"))],
        "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }
    if gsis:
        props["GlobalSecondaryIndexes"] = [{
            "IndexName": g["name"],
            "KeySchema": [{"AttributeName": k, "KeyType": t} for (k, _), t in zip(g["keys"], ("HASH", "RANGE"))],
            "Projection": {"ProjectionType": g["projection"], **({"NonKeyAttributes": g["include"]} if "include" in g else {})},
        } for g in gsis]
    if stream:
        props["StreamSpecification"] = {"StreamViewType": "NEW_IMAGE"}
    return {"Type": "AWS::DynamoDB::Table", "Properties": props}


S = "S"
CORRELATION = ["pr_url", "pr_number", "status", "repo", "user_id", "channel_metadata"]
# Logical id -> (output name, table). Keys, GSIs and streams from
# cdk/src/constructs/{task-table,task-events-table,task-approvals-table,
# repo-table,api-key-table,webhook-table,user-concurrency-table}.ts.
TABLES = {
    "TaskTable": ("TaskTableName", _table([("task_id", S)], [
        {"name": "UserStatusIndex", "keys": [("user_id", S), ("status_created_at", S)], "projection": "ALL"},
        {"name": "StatusIndex", "keys": [("status", S), ("created_at", S)], "projection": "ALL"},
        {"name": "IdempotencyIndex", "keys": [("idempotency_key", S)], "projection": "KEYS_ONLY"},
        {"name": "LinearIssueIndex", "keys": [("linear_issue_id", S), ("created_at", S)], "projection": "INCLUDE",
         "include": CORRELATION},
        {"name": "JiraIssueIndex", "keys": [("jira_issue_identity", S), ("created_at", S)], "projection": "INCLUDE",
         "include": CORRELATION},
    ], stream=True)),
    "TaskEventsTable": ("TaskEventsTableName", _table([("task_id", S), ("event_id", S)], stream=True)),
    "TaskApprovalsTableV2": ("TaskApprovalsTableName", _table([("task_id", S), ("request_id", S)], [
        {"name": "user_id-status-index", "keys": [("user_id", S), ("status", S)], "projection": "INCLUDE",
         "include": ["task_id", "request_id", "tool_name", "tool_input_preview", "severity", "reason", "created_at",
                     "timeout_s", "matching_rule_ids"]},
    ])),
    "RepoTable": ("RepoTableName", _table([("repo", S)])),
    "ApiKeyTable": ("ApiKeyTableName", _table([("key_id", S)], [
        {"name": "UserIndex", "keys": [("user_id", S), ("created_at", S)], "projection": "INCLUDE",
         "include": ["name", "status", "scopes", "updated_at", "expires_at", "revoked_at"]},
    ])),
    "WebhookTable": ("WebhookTableName", _table([("webhook_id", S)], [
        {"name": "UserIndex", "keys": [("user_id", S), ("created_at", S)], "projection": "ALL"},
    ])),
    "UserConcurrencyTable": ("UserConcurrencyTableName", _table([("user_id", S)])),
}


def deploy(aws, api_url, region):
    """Creates AgentStack's resources in moto; returns the stack's outputs
    and what the harness needs besides (a dict)."""
    idp, sm, s3 = aws["cognito-idp"], aws["secretsmanager"], aws["s3"]
    # task-api.ts: UserPool (self sign-up off, e-mail as the user name,
    # password policy) and addClient('AppClient', {authFlows: {userPassword,
    # userSrp}, generateSecret: false}).
    pool = idp.create_user_pool(
        PoolName="TaskApiUserPool",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True,
                                     "RequireNumbers": True, "RequireSymbols": True,
                                     "TemporaryPasswordValidityDays": 7}},
    )["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="AppClient", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    # agent.ts: `new secretsmanager.Secret(this, 'GitHubTokenSecret', ...)`
    # without a value, so CDK generates a random one (GenerateSecretString {}).
    github_secret = sm.create_secret(Name=f"{STACK}-GitHubTokenSecret",
                                     SecretString=sm.get_random_password()["RandomPassword"])["ARN"]
    buckets = {}
    for name in ("traceartifacts", "attachments"):
        bucket = f"{STACK}-{name}-{secrets.token_hex(4)}"
        s3.create_bucket(Bucket=bucket)
        buckets[name] = bucket
    runtime_arn = f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:runtime/backgroundagent_dev_runtime-{secrets.token_hex(5)}"
    params = {
        "ApiUrl": api_url,
        "UserPoolId": pool,
        "AppClientId": client,
        "GitHubTokenSecretArn": github_secret,
        "RuntimeArn": runtime_arn,
        "TraceArtifactsBucketName": buckets["traceartifacts"],
        "ComputeSubstrate": "agentcore",
    }
    template = {
        "Description": "AgentStack (ABCA backgroundagent-dev) on moto: the Task API's tables; "
                       "Cognito, secrets and buckets passed in",
        "Parameters": {k: {"Type": "String"} for k in params},
        "Resources": {logical: table for logical, (_, table) in TABLES.items()},
        "Outputs": {
            **{k: {"Value": {"Ref": k}} for k in params},
            **{output: {"Value": {"Ref": logical}} for logical, (output, _) in TABLES.items()},
        },
    }
    cfn = aws["cloudformation"]
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
    for _ in range(200):
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        if stack["StackStatus"] == "CREATE_COMPLETE":
            break
        if stack["StackStatus"].endswith("FAILED") or "ROLLBACK" in stack["StackStatus"]:
            raise RuntimeError(f"{STACK}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
        time.sleep(0.05)
    else:
        raise RuntimeError(f"{STACK} did not finish")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    # The integ account's pre-seeded PAT (ABCA PR #348, INTEG_PAT_SECRET_ID).
    pat = "github_pat_" + secrets.token_hex(20)
    sm.create_secret(Name=PAT_SECRET, SecretString=pat)
    return {"outputs": outputs, "attachments_bucket": buckets["attachments"], "pat": pat}


def harness_config(deployed, *, region, aws_endpoint, api_port, python, credentials, record_credentials=None):
    """The JSON harness/agentstack.mjs reads; `credentials` (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY) are those ABCA's handlers call AWS with."""
    return {
        "abcaDir": str(abca_dir()),
        "npmPrefix": str(npm_prefix()),
        "cacheDir": str(cache_dir() / "abca-harness"),
        "region": region,
        "accountId": ACCOUNT,
        "awsEndpoint": aws_endpoint,
        "credentials": credentials,
        "stackName": STACK,
        "apiPort": api_port,
        "apiId": "taskapi" + secrets.token_hex(3),
        "outputs": deployed["outputs"],
        "attachmentsBucket": deployed["attachments_bucket"],
        "guardrail": {"id": "taskinputguardrail", "version": "1"},
        "github": {"tokens": [deployed["pat"]], "repos": {SANDBOX_REPO: {"push": True, "default_branch": "main"}}},
        "agent": {"python": python, "script": str(HERE / "agent" / "runtime.py")},
        "recordCredentials": str(record_credentials) if record_credentials else None,
    }


def start_harness(procs, config_path, timeout=180):
    """Starts harness/agentstack.mjs under `procs` (demo.Processes) and
    waits for its ready line; returns what it printed there."""
    log_name = "agentstack"
    proc = procs.start(log_name, ["node", str(HERE / "harness" / "agentstack.mjs"), str(config_path)])
    log = procs.log_dir / f"{log_name}.log"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").splitlines()[-20:]
            sys.exit("the AgentStack harness exited early:\n" + "\n".join(tail))
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith('{"ready"'):
                return json.loads(line)["ready"]
        time.sleep(0.2)
    sys.exit(f"the AgentStack harness was not ready within {timeout}s (log: {log})")
