"""The AgentCore runtime of AgentStack, for one task, on this machine.

The real runtime runs ABCA's agent (`agent/src/server.py` -> `pipeline.py`
-> `runner.py`) with the Claude Agent SDK on Bedrock. Here only the
model's turns are scripted; everything that decides what the platform
sees is ABCA's own code, imported unchanged from the ABCA checkout on
PYTHONPATH (`agent/src`):

* `task_state`: the task's status writes (RUNNING, heartbeats, the
  approval transactions, the terminal write);
* `policy.PolicyEngine` with ABCA's Cedar policies (`agent/policies/`),
  built the way `runner.py` `_initialize_policy_engine_and_hooks` builds it;
* `hooks.pre_tool_use_hook` / `post_tool_use_hook`: every tool call of the
  script goes through them, so a `Write` of `config.env` meets the
  `write_env_files` soft-deny rule, opens a real approval gate (PENDING
  row + AWAITING_APPROVAL in one transaction), waits for the decision and
  resumes the task, exactly as in production;
* `progress_writer._ProgressWriter`, built with the task's `user_id` and
  `repo` as `pipeline.py` builds it, for every event.

The scripted model (what an LLM would decide):
* a prompt asking to "create a file named X ... with the single line Y"
  (ABCA's own gate prompt, `integ.task-lifecycle.ts`) -> turn 1 calls
  `Write {file_path: X, content: Y}`; if allowed, turn 2 commits it with
  `Bash git add/commit`; the last turn answers in text;
* any other prompt -> one turn that answers in text, no tools.

Tools run in a scratch workspace (a `git init` stands in for the clone;
nothing is pushed). What `pipeline.py` then does is mirrored in small:
a coding task with a commit opens its pull request on the GitHub double
(`POST /repos/{repo}/pulls`, with the token from GITHUB_TOKEN_SECRET_ARN)
and ends COMPLETED with `pr_url`; a coding task without a commit ends
FAILED, as `pipeline.py`'s delivery gate fails new-work tasks that shipped
nothing; a repo-less task uploads its answer to
`s3://$ARTIFACTS_BUCKET_NAME/artifacts/<task_id>/answer.md` and ends
COMPLETED with `artifact_uri` (`pipeline.py`'s repo-less branch).

Input: the InvokeAgentRuntime payload `{"input": {...}}` on stdin (the
orchestrator's `shared/orchestrator.ts` payload). Environment: the
runtime's (`stacks/agent.ts` `runtimeEnvironmentVariables`) plus
TASK_STARTED_AT, set by the harness as `server.py` sets it.
"""

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

# ABCA's agent modules (on PYTHONPATH).
import task_state  # noqa: E402
from hooks import post_tool_use_hook, pre_tool_use_hook  # noqa: E402
from policy import PolicyEngine  # noqa: E402
from progress_writer import _ProgressWriter  # noqa: E402

MODEL = "scripted (vigil harness)"
HEARTBEAT_SECONDS = 30
# `Create a file named config.env at the repo root with the single line
# FOO=bar, then commit it.`
FILE_REQUEST = re.compile(r"file named (?P<path>\S+?)(?: at [^,]*?)? with the single line (?P<line>\S+?)[,.]", re.I)


def log(message):
    print(f"[runtime] {message}", flush=True)


def policy_principal(workflow_id):
    """The Cedar principal of a workflow: `new_task`, `pr_iteration` or
    `pr_review` (policy.py's note on `config.policy_principal`; the
    mapping itself lives in the agent's `config.py`, not vendored)."""
    if workflow_id in ("coding/pr-iteration-v1", "coding/restack-v1"):
        return "pr_iteration"
    if workflow_id == "coding/pr-review-v1":
        return "pr_review"
    return "new_task"


def wait_for_running(task_id, timeout=60.0):
    """The orchestrator writes HYDRATING -> RUNNING only after
    InvokeAgentRuntime returned; the real container takes longer than that
    to start. Waiting keeps `write_running` from racing that conditional
    write (which would fail the orchestrator's start-session step)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = task_state.get_task(task_id) or {}
        status = item.get("status")
        if status == "RUNNING":
            return True
        if status in ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"):
            log(f"task {task_id} is already {status}; nothing to run")
            return False
        time.sleep(0.2)
    log(f"task {task_id} never reached RUNNING")
    return False


def heartbeat(task_id, stop):
    while not stop.wait(HEARTBEAT_SECONDS):
        task_state.write_heartbeat(task_id)


def github_token():
    """The token the agent reads from GITHUB_TOKEN_SECRET_ARN."""
    import boto3

    arn = os.environ.get("GITHUB_TOKEN_SECRET_ARN")
    if not arn:
        return None
    sm = boto3.client("secretsmanager")
    return sm.get_secret_value(SecretId=arn).get("SecretString")


def open_pull_request(repo, branch, title):
    base = os.environ["VIGIL_GITHUB_URL"].rstrip("/")
    request = urllib.request.Request(
        f"{base}/repos/{repo}/pulls",
        data=json.dumps({"title": title, "head": branch, "base": "main", "body": "Opened by the agent."}).encode(),
        headers={"Authorization": f"token {github_token()}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.load(r).get("html_url")
    except urllib.error.HTTPError as e:
        log(f"opening the pull request failed: HTTP {e.code}")
        return None


def upload_artifact(task_id, text):
    import boto3

    bucket = os.environ.get("ARTIFACTS_BUCKET_NAME")
    if not bucket:
        return None
    key = f"artifacts/{task_id}/answer.md"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode(), ContentType="text/markdown")
    return f"s3://{bucket}/{key}"


class Workspace:
    """A scratch git repository standing in for the clone (removed when the
    runtime ends)."""

    made = []

    def __init__(self, branch):
        self.dir = tempfile.mkdtemp(prefix="abca-workspace-")
        Workspace.made.append(self.dir)
        self.branch = branch
        self.git("init", "-q", "-b", "main")
        with open(os.path.join(self.dir, "README.md"), "w") as f:
            f.write("sandbox\n")
        self.git("add", "README.md")
        self.git("commit", "-q", "-m", "baseline")
        self.git("checkout", "-q", "-b", branch)
        self.commits = 0

    def git(self, *args):
        env = {**os.environ, "GIT_AUTHOR_NAME": "agent", "GIT_AUTHOR_EMAIL": "agent@example.com",
               "GIT_COMMITTER_NAME": "agent", "GIT_COMMITTER_EMAIL": "agent@example.com"}
        return subprocess.run(["git", *args], cwd=self.dir, env=env, capture_output=True, text=True, check=False)

    def run(self, tool_name, tool_input):
        """Runs one tool; returns (is_error, output)."""
        if tool_name == "Write":
            path = os.path.join(self.dir, tool_input["file_path"])
            with open(path, "w") as f:
                f.write(tool_input["content"])
            return False, f"File created successfully at: {tool_input['file_path']}"
        if tool_name == "Bash":
            out = subprocess.run(["sh", "-c", tool_input["command"]], cwd=self.dir, capture_output=True, text=True,
                                 env={**os.environ, "GIT_AUTHOR_NAME": "agent", "GIT_AUTHOR_EMAIL": "agent@example.com",
                                      "GIT_COMMITTER_NAME": "agent", "GIT_COMMITTER_EMAIL": "agent@example.com"})
            if out.returncode == 0 and "commit" in tool_input["command"]:
                self.commits += 1
            return out.returncode != 0, (out.stdout + out.stderr).strip()
        return True, f"tool {tool_name} is not scripted"


def script_for(prompt):
    """The scripted model: the tool calls an LLM would make for `prompt`."""
    m = FILE_REQUEST.search(prompt or "")
    if not m:
        return []
    path, line = m.group("path"), m.group("line")
    return [
        ("Write", {"file_path": path, "content": f"{line}\n"}),
        ("Bash", {"command": f"git add {path} && git commit -q -m 'Add {path}'"}),
    ]


async def run(payload):
    cfg = payload.get("input", payload)
    task_id, user_id = cfg["task_id"], cfg.get("user_id", "")
    repo = cfg.get("repo_url") or None
    workflow = (cfg.get("resolved_workflow") or {}).get("id", "coding/new-task-v1")
    started = time.time()
    if not wait_for_running(task_id):
        return

    # pipeline.py run_task: the RUNNING write (a no-op once the orchestrator
    # wrote RUNNING), the first heartbeat, the progress writer.
    task_state.write_running(task_id)
    task_state.write_heartbeat(task_id)
    stop = threading.Event()
    threading.Thread(target=heartbeat, args=(task_id, stop), daemon=True).start()
    progress = _ProgressWriter(task_id, user_id=user_id, repo=repo)

    # runner.py _initialize_policy_engine_and_hooks.
    engine_kwargs = {}
    initial = list(cfg.get("initial_approvals") or [])
    if initial:
        engine_kwargs["initial_approvals"] = initial
    if cfg.get("approval_timeout_s") is not None:
        engine_kwargs["task_default_timeout_s"] = int(cfg["approval_timeout_s"])
    if cfg.get("approval_gate_cap") is not None:
        engine_kwargs["approval_gate_cap"] = int(cfg["approval_gate_cap"])
    read_only = workflow == "coding/pr-review-v1"
    engine = PolicyEngine(task_type=policy_principal(workflow), repo=repo or "", read_only=read_only, **engine_kwargs)
    progress.write_approval_pre_approvals_loaded(count=len(initial), scopes=initial)

    workspace = None
    if repo:
        branch = cfg.get("branch_name") or f"bgagent/{task_id}/task"
        workspace = Workspace(branch)
        progress.write_agent_milestone("repo_setup_complete", f"branch={branch} build_before=True")

    turn = 0
    denied = False
    for tool_name, tool_input in script_for(cfg.get("prompt")):
        if denied:
            break  # an authoritative deny: the model stops and reports back
        turn += 1
        progress.write_agent_turn(turn=turn, model=MODEL, thinking="", text="", tool_calls_count=1)
        progress.write_agent_tool_call(tool_name=tool_name, tool_input=json.dumps(tool_input), turn=turn)
        hook_input = {"hook_event_name": "PreToolUse", "tool_name": tool_name, "tool_input": tool_input}
        decision = await pre_tool_use_hook(hook_input, f"toolu_{turn}", None, engine=engine, task_id=task_id,
                                           user_id=user_id or None, progress=progress, repo_url=repo)
        verdict = decision.get("hookSpecificOutput", {})
        if verdict.get("permissionDecision") == "deny":
            denied = True
            is_error, output = True, verdict.get("permissionDecisionReason", "denied")
        else:
            is_error, output = workspace.run(tool_name, tool_input) if workspace else (True, "no workspace")
        await post_tool_use_hook({"hook_event_name": "PostToolUse", "tool_name": tool_name, "tool_input": tool_input,
                                  "tool_response": output}, f"toolu_{turn}", None, progress=progress)
        progress.write_agent_tool_result(tool_name=tool_name, is_error=is_error, content=output, turn=turn)

    turn += 1
    answer = ("I could not complete the task: the change was denied by the reviewer." if denied
              else "A pull request is a proposal to merge a set of changes from one branch into another, "
                   "reviewed before it lands." if not repo else "Done: the file is committed.")
    progress.write_agent_turn(turn=turn, model=MODEL, thinking="", text=answer, tool_calls_count=0)
    progress.write_agent_cost_update(cost_usd=0.0, input_tokens=0, output_tokens=0, turn=turn)
    progress.write_agent_milestone("agent_execution_complete", f"status=success turns={turn}")

    result = {"cost_usd": 0.0, "duration_s": round(time.time() - started, 1), "turns": turn,
              "turns_attempted": turn, "turns_completed": turn}
    if not repo:
        uri = upload_artifact(task_id, answer)
        if uri:
            progress.write_agent_milestone("artifact_delivered", uri)
            result["artifact_uri"] = uri
        status = "COMPLETED" if uri else "FAILED"
        if not uri:
            result["error"] = "vigil harness: no artifact bucket, the repo-less task delivered nothing"
    elif workspace.commits:
        pr_url = open_pull_request(repo, workspace.branch, f"Task {task_id}")
        if pr_url:
            progress.write_agent_milestone("pr_created", pr_url)
            result["pr_url"] = pr_url
            status = "COMPLETED"
        else:
            status = "FAILED"
            result["error"] = "vigil harness: a commit landed but the pull request could not be opened"
    else:
        # pipeline.py `_apply_delivery_gate`: a new-work coding task that
        # reports success but shipped no commit and no PR fails.
        status = "FAILED"
        result["error"] = "vigil harness: no commit reached the branch and no pull request was opened (delivery gate)"
    stop.set()
    task_state.write_terminal(task_id, status, result)
    log(f"task {task_id} ended {status}")


def main():
    payload = json.load(sys.stdin)
    # StopRuntimeSession (cancel-task) and the harness stopping end the
    # runtime with SIGTERM; the workspace is still removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        asyncio.run(run(payload))
    finally:
        for workspace in Workspace.made:
            shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
