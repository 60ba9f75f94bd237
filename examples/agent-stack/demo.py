"""vigil's main job on one machine: deploy a suite next to an application and
run it through the deployed state machine, with no AWS account. The
application is AgentStack with ABCA's real code (agentstack.py).

It starts, all on 127.0.0.1:
  * moto (tests/support/moto_sfn.py: Step Functions executions on, Lambda
    invokes routed to cargo lambda watch, its patches applied) with its IAM
    checks on: every request must be allowed by its caller's policies, down
    to the resource for the services the provider calls;
  * AgentStack: its tables (a CloudFormation stack whose outputs are
    AgentStack's), Cognito user pool and app client, GitHub token secret
    and buckets, and the harness (harness/agentstack.mjs) running ABCA's
    Task API handlers behind an API Gateway stand-in, its durable
    orchestrator, and its agent modules as the AgentCore runtime;
  * the assertion provider: the release `bootstrap` from bootstrap.zip,
    serving invocations under `cargo lambda watch` with the environment and
    the execution role (ProviderRole, its policy derived by vigil from the
    suite's steps) the deployed stack gives its function (started after
    `vigil deploy`);
then runs `vigil deploy --app-stack backgroundagent-dev` and `vigil run
--stack ...` (or `vigil local`), prints the report, and stops everything
it started.

usage: demo.py [--fail] [--fail-secret] [--local] [--measure]
               [--json F] [--junit F] [--vigil PATH] [--artifact PATH]
               [--suite PATH] [--dump-dir DIR]

  --fail         one expectation of examples/task-lifecycle.yaml is flipped
                 (the deny scenario's approval row must say APPROVED): the run
                 fails and the report names the exact path (exit status 1)
  --fail-secret  the API key the completed scenario captures as a secret must
                 start with `sk_`: that step fails, and its report must show
                 the path but not the key
  --local        run with `vigil local` instead of the deployed state machine
  --measure      also run the same steps chained serially and print wall-clock,
                 state transitions and history events of both executions
  --dump-dir     keep what a leak scan reads: every execution's description
                 and full history (executions/), every process's log (logs/),
                 the synthesized stack (out/), each credential the API saw or
                 issued and the GitHub token (credentials.tsv), and every
                 request moto was sent (moto-requests.jsonl)
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agentstack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
FLIP_MARKER = "# ./scripts/demo --fail expects APPROVED here instead."
FLIP_SECRET_MARKER = "# ./scripts/demo --fail-secret expects an `sk_` key here instead."
# The suite's poll timeouts are ABCA's (12 minutes to a terminal status, 8 to
# a gate); here everything happens within seconds, except the orchestrator's
# own 30-second status poll before it writes the terminal event.
LOCAL_TIMEOUTS = {"TerminalTimeout": "3m", "GateTimeout": "60s"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited early (status {proc.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    sys.exit(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


def announced_ports(log, proc, what, timeout=90):
    """The ports a server that binds its own (port 0) announced in its log
    (`... ready name=PORT ...`), by name."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if " ready " in line:
                return {k: int(v) for k, v in (w.split("=", 1) for w in line.split() if "=" in w)}
        if proc.poll() is not None:
            sys.exit(f"{what} exited early (status {proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    sys.exit(f"{what} did not get ready within {timeout}s")


class Processes:
    """Every process the demo starts, stopped (with its children) on exit."""

    def __init__(self, log_dir):
        self.procs, self.log_dir = [], log_dir

    def start(self, name, argv, **kw):
        log = open(self.log_dir / f"{name}.log", "wb")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, **kw)
        self.procs.append((name, p))
        return p

    def dead(self):
        """The first started process that has exited, with its log's tail."""
        for name, p in self.procs:
            if p.poll() is not None:
                log = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-15:]
                return name, p.returncode, "\n".join(log)
        return None

    def stop(self):
        for _, p in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for _, p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def venv():
    return Path(os.environ.get("VIGIL_VENV", agentstack.cache_dir() / "venv"))


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR", agentstack.cache_dir() / "target"))


def vigil_binary(given):
    if given:
        return given
    subprocess.run(["cargo", "build", "-q", "--locked", "-p", "vigil"], cwd=ROOT, check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": str(target_dir())})
    return str(target_dir() / "debug" / "vigil")


def artifact(given):
    if given:
        return Path(given)
    zip_path = target_dir() / "lambda" / "bootstrap" / "bootstrap.zip"
    if not zip_path.exists():
        print("building the provider (cargo lambda build --release --x86-64; minutes on a fresh machine) ...",
              file=sys.stderr)
        subprocess.run(
            ["cargo", "lambda", "build", "--release", "--x86-64", "--output-format", "zip", "--locked",
             "-p", "assertion-provider", "--bin", "bootstrap"],
            cwd=ROOT, check=True,
            env={**os.environ, "CARGO_TARGET_DIR": str(target_dir()),
                 "PATH": f"{venv() / 'bin'}:{os.environ.get('PATH', '')}"},
        )
    return zip_path


def clients(endpoint, creds):
    kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
              aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"], aws_session_token=creds.get("AWS_SESSION_TOKEN"))
    services = ("cognito-idp", "secretsmanager", "cloudformation", "dynamodb", "lambda", "kms", "stepfunctions",
                "s3", "sts")
    return {n: boto3.client(n, **kw) for n in services}


def identities_and_iam_checks(endpoint):
    """Makes the account's identities, then turns moto's IAM checks on: from
    here every request needs credentials of an identity whose policies allow
    it (tests/support/moto_iam_resources.py makes moto check Resources too).
    `ci` stands for CI's deploy role (vigil deploy, run, local), `agentstack`
    for ABCA's handlers' roles; both may do everything, as vigil does not test
    them. The provider gets only its own role (provider_credentials)."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id="setup", aws_secret_access_key="setup")
    everything = json.dumps({"Version": "2012-10-17",
                             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    identities = {}
    for name in ("ci", "agentstack"):
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="everything", PolicyDocument=everything)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        identities[name] = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    urllib.request.urlopen(urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"content-type": "text/plain"}))
    return identities


def provider_credentials(aws, proxy, stack):
    """What Lambda gives the stack's provider function: credentials of its
    execution role, ProviderRole, whose policy vigil derived from the suite's
    steps (the launcher's /__vigil/lambda-credentials). With IAM checks on,
    a call the steps need and the policy lacks fails the run."""
    function = aws["cloudformation"].describe_stack_resource(
        StackName=stack, LogicalResourceId="ProviderFunction")["StackResourceDetail"]["PhysicalResourceId"]
    with urllib.request.urlopen(f"{proxy}/__vigil/lambda-credentials/{function}") as r:
        c = json.load(r)
    return {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
            "AWS_SESSION_TOKEN": c["Token"]}


def flip(text, suite, flag, marker, old, new, what):
    """`text` with the line under `marker` changed from `old` to `new`."""
    lines = text.splitlines(keepends=True)
    i = next((i for i, line in enumerate(lines) if marker in line), None)
    if i is None or old not in lines[i + 1]:
        sys.exit(f"{suite}: {flag} needs the line `{marker}` above {what}")
    lines[i + 1] = lines[i + 1].replace(old, new)
    return "".join(lines)


def flipped_suite(suite, tmp, fail, fail_secret):
    """The suite with the marked expectations flipped: DENIED -> APPROVED
    (--fail), and the API key's `bgak_` prefix -> `sk_` (--fail-secret)."""
    text = Path(suite).read_text()
    if fail:
        text = flip(text, suite, "--fail", FLIP_MARKER, "DENIED", "APPROVED",
                    "a `status: {S: DENIED}` expectation")
    if fail_secret:
        text = flip(text, suite, "--fail-secret", FLIP_SECRET_MARKER, "^bgak_", "^sk_",
                    "a `key: {$regex: \"^bgak_...\"}` expectation")
    out = tmp / Path(suite).name
    out.write_text(text)
    return out


def provider_environment(aws, stack):
    """The environment the stack gives its provider function (RUST_LOG, the
    sealing key, ...), so the local provider runs as deployed."""
    function = aws["cloudformation"].describe_stack_resource(
        StackName=stack, LogicalResourceId="ProviderFunction")["StackResourceDetail"]["PhysicalResourceId"]
    config = aws["lambda"].get_function_configuration(FunctionName=function)
    return config.get("Environment", {}).get("Variables", {})


def dump_executions(aws, out_dir):
    """Every execution of every state machine: DescribeExecution and the full
    GetExecutionHistory, one JSON file per execution."""
    sfn = aws["stepfunctions"]
    out_dir.mkdir(parents=True, exist_ok=True)
    for machine in sfn.list_state_machines()["stateMachines"]:
        for ex in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
            arn = ex["executionArn"]
            events = all_events(sfn, arn)
            record = {"describe": sfn.describe_execution(executionArn=arn), "history": events}
            (out_dir / f"{ex['name']}.json").write_text(json.dumps(record, indent=1, default=str))


def dump_files(tmp, dump_dir):
    """The processes' logs and the synthesized stacks, copied after every
    process stopped (so the logs are complete)."""
    (dump_dir / "logs").mkdir(parents=True, exist_ok=True)
    for log in tmp.glob("*.log"):
        shutil.copy(log, dump_dir / "logs" / log.name)
    for out in tmp.glob("out*"):
        shutil.copytree(out, dump_dir / out.name, dirs_exist_ok=True)


def serial_suite(suite, tmp):
    """The same steps chained: each scenario waits for the previous one's
    last step (`after:`), which the compiler turns into one ordered branch."""
    text = Path(suite).read_text()
    text = text.replace("suite: task-lifecycle\n", "suite: task-lifecycle-serial\n", 1)
    scenarios = re.findall(r"^  ([a-z-]+):\n    description:", text, flags=re.M)
    last_ids, first_ids = {}, {}
    for name in scenarios:
        block = text.split(f"\n  {name}:\n", 1)[1]
        nxt = re.search(r"^  [a-z-]+:\n    description:", block, flags=re.M)
        block = block[: nxt.start()] if nxt else block
        ids = re.findall(r"^      - (?:\{)?id: ([a-z0-9-]+)", block, flags=re.M)
        first_ids[name], last_ids[name] = ids[0], ids[-1]
    for prev, name in zip(scenarios, scenarios[1:]):
        first = first_ids[name]
        pattern = re.compile(rf"^      - (\{{)?id: {re.escape(first)}(,|\n)", re.M)
        match = pattern.search(text)
        if match.group(1):  # a flow mapping: `- {id: x, ...}`
            text = text[:match.start()] + f"      - {{id: {first}, after: [{last_ids[prev]}]," + text[match.end():]
        else:
            text = text[:match.start()] + f"      - id: {first}\n        after: [{last_ids[prev]}]\n" + text[match.end():]
    out = tmp / "task-lifecycle-serial.yaml"
    out.write_text(text)
    return out


def all_events(sfn, execution_arn):
    """Every event of an execution, page after page."""
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, PaginationConfig={"PageSize": 1000})
    return [e for page in pages for e in page["events"]]


def history_stats(aws, execution_arn):
    sfn = aws["stepfunctions"]
    d = sfn.describe_execution(executionArn=execution_arn)
    events = all_events(sfn, execution_arn)
    transitions = sum(1 for e in events if e["type"].endswith("StateEntered"))
    return {
        "status": d["status"],
        "seconds": (d["stopDate"] - d["startDate"]).total_seconds(),
        "events": len(events),
        "transitions": transitions,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fail", action="store_true")
    p.add_argument("--fail-secret", action="store_true")
    p.add_argument("--local", action="store_true")
    p.add_argument("--measure", action="store_true")
    p.add_argument("--json")
    p.add_argument("--junit")
    p.add_argument("--vigil", help="the vigil binary (default: build it)")
    p.add_argument("--artifact", help="bootstrap.zip (default: the release build in the cargo target dir)")
    p.add_argument("--suite", default=str(ROOT / "examples" / "task-lifecycle.yaml"))
    p.add_argument("--dump-dir", type=Path, help="keep histories, logs, stacks and credentials here")
    args = p.parse_args(argv)
    if args.dump_dir:
        args.dump_dir.mkdir(parents=True, exist_ok=True)
    try:
        agentstack.abca_dir()
        agentstack.check_installed()
    except agentstack.AbcaSourceMissing as e:
        sys.exit(f"error: {e}")

    vigil = vigil_binary(args.vigil)
    zip_path = artifact(args.artifact)
    tmp = Path(tempfile.mkdtemp(prefix="vigil-demo-"))
    procs = Processes(tmp)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    aws = None
    try:
        watch_port, api_port = free_port(), free_port()
        bin_dir = venv() / "bin"
        env_path = f"{bin_dir}:{os.environ.get('PATH', '')}"
        watch = procs.start("cargo-lambda-watch", [
            str(bin_dir / "cargo-lambda"), "lambda", "watch", "--only-lambda-apis",
            "-A", "127.0.0.1", "-P", str(watch_port)],
            cwd=ROOT / "assertion-provider", env={**os.environ, "PATH": env_path})
        # With --dump-dir, moto records every request it gets (bodies
        # included): what AWS was sent, for the leak scan's passwords.
        recording = {"MOTO_ENABLE_RECORDING": "true",
                     "MOTO_RECORDER_FILEPATH": str(args.dump_dir / "moto-requests.jsonl")} if args.dump_dir else {}
        moto = procs.start("moto", [
            str(bin_dir / "python"), str(ROOT / "tests" / "support" / "moto_sfn.py"),
            "0", "0", f"http://127.0.0.1:{watch_port}", "_"],
            env={**os.environ, **recording})
        ports = announced_ports(tmp / "moto.log", moto, "moto")
        moto_port, proxy_port = ports["moto"], ports["proxy"]
        wait_port(watch_port, watch, "cargo lambda watch")
        endpoint = f"http://127.0.0.1:{moto_port}"
        identities = identities_and_iam_checks(endpoint)
        ci = {**identities["ci"], "AWS_REGION": REGION}
        aws = clients(endpoint, ci)

        deployed = agentstack.deploy(aws, f"http://127.0.0.1:{api_port}/v1/", REGION)
        credentials = args.dump_dir / "credentials.tsv" if args.dump_dir else None
        if credentials:
            credentials.write_text(f"github-token\t{deployed['pat']}\n")
        config = agentstack.harness_config(deployed, region=REGION, aws_endpoint=endpoint, api_port=api_port,
                                           python=str(bin_dir / "python"), credentials=identities["agentstack"],
                                           record_credentials=credentials)
        (tmp / "agentstack.json").write_text(json.dumps(config))
        agentstack.start_harness(procs, tmp / "agentstack.json")

        def start_provider(stack):
            """The provider: exactly the binary in the zip `vigil deploy`
            uploads, with the environment and the role its stack gives it."""
            with zipfile.ZipFile(zip_path) as z:
                z.extract("bootstrap", tmp)
            binary = tmp / "bootstrap"
            binary.chmod(0o755)
            role = provider_credentials(aws, f"http://127.0.0.1:{proxy_port}", stack)
            as_provider = clients(endpoint, role)
            who = as_provider["sts"].get_caller_identity()["Arn"]
            # The checks are on: what the steps never do, the role may not do.
            try:
                as_provider["dynamodb"].scan(TableName=deployed["outputs"]["TaskTableName"], Limit=1)
                sys.exit(f"error: {who} may Scan the task table: moto's IAM checks are off")
            except ClientError as e:
                if e.response["Error"]["Code"] != "AccessDeniedException":
                    raise
            print(f"the provider runs as {who} (IAM checks on: it may not Scan the task table)",
                  file=sys.stderr, flush=True)
            procs.start("provider", [str(binary)], env={
                **os.environ, **provider_environment(aws, stack), **role, "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{watch_port}/.rt",
                "AWS_LAMBDA_FUNCTION_NAME": "_", "AWS_LAMBDA_FUNCTION_VERSION": "1",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"})

        # What ABCA's integ workflow reads from its CI variables.
        vigil_env = {**os.environ, **ci, "AWS_ENDPOINT_URL": endpoint,
                     "INTEG_SANDBOX_REPO": agentstack.SANDBOX_REPO, "INTEG_PAT_SECRET_ID": agentstack.PAT_SECRET}
        fail = args.fail or args.fail_secret
        suite = flipped_suite(args.suite, tmp, args.fail, args.fail_secret) if fail else Path(args.suite)
        timeouts = [f"--param={k}={v}" for k, v in LOCAL_TIMEOUTS.items()]
        report_args = []
        if args.json:
            report_args += ["--json", args.json]
        if args.junit:
            report_args += ["--junit", args.junit]

        def vigil_run(cmd):
            """Runs vigil; if a part of the chain dies meanwhile, says which
            and why instead of waiting for an invocation that never ends."""
            print(f"$ vigil {' '.join(cmd)}", file=sys.stderr, flush=True)
            child = subprocess.Popen([vigil, *cmd], env=vigil_env, cwd=ROOT)
            while child.poll() is None:
                dead = procs.dead()
                if dead:
                    child.terminate()
                    child.wait()
                    name, code, log = dead
                    sys.exit(f"error: {name} exited (status {code}) during the run:\n{log}")
                time.sleep(0.5)
            return child.returncode

        app = ["--app-stack", agentstack.STACK]
        if args.local:
            # The provider runs inside `vigil local`; it seals secret
            # captures with a KMS key of its own.
            key = aws["kms"].create_key(Description="vigil local: sealing key of secret captures")
            vigil_env["VIGIL_SEAL_KMS_KEY_ID"] = key["KeyMetadata"]["Arn"]
            return vigil_run(["local", str(suite), *app, *timeouts, *report_args])
        code = vigil_run(["deploy", str(suite), *app, *timeouts, "--artifact", str(zip_path),
                          "-o", str(tmp / "out")])
        if code != 0:
            return 2
        start_provider("vigil-task-lifecycle")
        commit = f"demo{int(time.time())}"
        started = time.time()
        code = vigil_run(["run", "--stack", "vigil-task-lifecycle", "--suite", str(suite),
                          "--commit", commit, *report_args])
        if not args.measure:
            return code
        parallel = {"wall": time.time() - started}
        serial_file = serial_suite(suite, tmp)
        if vigil_run(["deploy", str(serial_file), *app, *timeouts, "--artifact", str(zip_path),
                      "-o", str(tmp / "out-serial")]) != 0:
            return 2
        started = time.time()
        serial_code = vigil_run(["run", "--stack", "vigil-task-lifecycle-serial", "--suite", str(serial_file),
                                 "--commit", commit])
        serial = {"wall": time.time() - started}
        sfn = aws["stepfunctions"]
        for stats, machine in ((parallel, "vigil-task-lifecycle"), (serial, "vigil-task-lifecycle-serial")):
            arn = f"arn:aws:states:{REGION}:123456789012:stateMachine:{machine}"
            ex = sfn.list_executions(stateMachineArn=arn)["executions"][0]["executionArn"]
            stats.update(history_stats(aws, ex))
        print("\n| run | scenarios | status | wall-clock (execution) | state transitions | history events |")
        print("|---|---|---|---|---|---|")
        for name, s in (("parallel (as written)", parallel), ("serial (chained with after)", serial)):
            print(f"| {name} | 4 | {s['status']} | {s['seconds']:.1f} s | {s['transitions']} | {s['events']} |")
        print(f"\nspeed-up: {serial['seconds'] / parallel['seconds']:.2f}x")
        return code or serial_code
    finally:
        if args.dump_dir and aws is not None:
            try:
                dump_executions(aws, args.dump_dir / "executions")
            except Exception as e:  # keep the run's own error, and still stop everything
                print(f"error: cannot dump the executions: {e}", file=sys.stderr)
        procs.stop()
        if args.dump_dir:
            dump_files(tmp, args.dump_dir)
        if os.environ.get("VIGIL_DEMO_KEEP"):
            print(f"logs of every process: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
