"""moto patch: GetExecutionHistory pages its events as Step Functions does.

moto 5.2.5 answers GetExecutionHistory with every event of the execution
at once and ignores `maxResults`, `nextToken` and `reverseOrder`. Step
Functions returns at most `maxResults` events a call (default 100, at most
1000; "A value of 0 uses the default"), oldest first unless `reverseOrder`
is true, with a `nextToken` when there are more, and refuses a token it did
not issue with `InvalidToken`
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
A client that reads one page only works on moto and misses events on AWS
once an execution passes a page; this patch makes moto as strict.

A token names the last event id it returned and the direction, so it stays
right while the execution adds events (ids only grow).

VIGIL_MOTO_UNPATCHED=history-paging leaves moto as it is, so a test can
show the patch is still needed (deployer/tests/state_machine_on_moto.rs,
histories_longer_than_a_page_are_read_whole).
"""

import base64
import json

import moto_written_for
from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import InvalidToken, ValidationException
from moto.stepfunctions.responses import StepFunctionResponse

WRITTEN_FOR = "5.2.5"
DEFAULT_PAGE, MAX_PAGE = 100, 1000


def _token(last_id, reverse):
    raw = json.dumps({"after": last_id, "reverse": reverse}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(token, reverse):
    try:
        t = json.loads(base64.urlsafe_b64decode(token.encode()))
        after = int(t["after"])
        if bool(t["reverse"]) != reverse:
            raise ValueError("token for the other direction")
        return after
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidToken(f"{token!r} was not issued for this request ({e})")


def _paged_history(self):
    arn = self._get_param("executionArn")
    max_results = int(self._get_param("maxResults") or 0) or DEFAULT_PAGE
    if max_results > MAX_PAGE or max_results < 0:
        raise ValidationException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
            f"satisfy constraint: Member must have value less than or equal to {MAX_PAGE}"
        )
    reverse = bool(self._get_param("reverseOrder"))
    events = list(self.stepfunction_backend.get_execution_history(arn)["events"])
    if reverse:
        events.reverse()
    token = self._get_param("nextToken")
    if token:
        after = _read_token(token, reverse)
        events = [e for e in events if (e["id"] < after if reverse else e["id"] > after)]
    page = events[:max_results]
    out = {"events": page}
    if len(events) > max_results:
        out["nextToken"] = _token(page[-1]["id"], reverse)
    return ActionResult(out)


def apply():
    moto_written_for.require("moto_history_paging.py", WRITTEN_FOR, "does moto page GetExecutionHistory now")
    StepFunctionResponse.get_execution_history = _paged_history
