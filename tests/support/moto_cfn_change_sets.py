"""moto patch: stacks deployed with change sets behave as CloudFormation's.

vigil deploys every stack through a change set
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html,
API_ExecuteChangeSet.html). moto 5.2.5 runs ExecuteChangeSet synchronously
(moto/cloudformation/models.py, CloudFormationBackend.execute_change_set)
and
(1) never rebuilds the stack's Outputs (a stack born from a CREATE change
    set has none) nor records the new parameters (so later "no change"
    checks compare against the first ones);
(2) on a resource error raises it from ExecuteChangeSet (sometimes as a body
    boto3 cannot parse) and leaves the stack in REVIEW_IN_PROGRESS or
    *_COMPLETE, half built, with no *_FAILED event;
(3) answers CreateChangeSet with the same template and parameters with a
    ValidationError "No updates are to be performed." (UpdateStack's answer)
    instead of CloudFormation's FAILED change set "The submitted information
    didn't contain changes. ...";
(4) looks change set names up across all stacks, answers HTTP 500 for an
    unknown change set or an UPDATE of a ROLLBACK_COMPLETE stack, and lets a
    CREATE change set make a second stack with an existing name.

This patch fixes (1); makes (2) look like CloudFormation: a CREATE_FAILED or
UPDATE_FAILED event on the resource with the error as its reason, then
ROLLBACK_COMPLETE for a create, or UPDATE_ROLLBACK_COMPLETE after applying
the previous template again for an update (ROLLBACK_FAILED or
UPDATE_ROLLBACK_FAILED when that fails, as on AWS), while ExecuteChangeSet
itself succeeds; makes (3) the FAILED change set; and gives (4) CloudFormation's
ValidationErrors. (Resource types moto cannot update are
moto_cfn_updates.py's.)

VIGIL_MOTO_UNPATCHED=cfn-change-sets leaves moto as it is.
"""

import threading

import moto_written_for
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.cloudformation.responses import CloudFormationResponse

WRITTEN_FOR = "5.2.5"

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


def _resource_event(stack, logical_id, resource_type, status, reason):
    stack.events.append(Event(stack.stack_id, stack.name, logical_id, "", resource_type, status, reason, None))


def _roll_back(stack, change_set, error, failed, previous_template, previous_parameters):
    if stack.events and stack.events[-1].resource_status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        stack.events.pop()  # moto's execute finished; the Outputs failed after it
    creating = change_set.change_set_type == "CREATE"
    if failed:
        logical_id, resource_type, error = failed
        _resource_event(stack, logical_id, resource_type, "CREATE_FAILED" if creating else "UPDATE_FAILED", error)
        verb = "create" if creating else "update"
        error = f"The following resource(s) failed to {verb}: [{logical_id}]. "
    # A rollback that cannot undo what was done ends *_FAILED, as on AWS,
    # never COMPLETE: vigil's deploy must see and explain it.
    if creating:
        stack._add_stack_event("ROLLBACK_IN_PROGRESS", error + ("Rollback requested by user." if failed else ""))
        try:
            stack.resource_map.delete()
            outcome, reason = "ROLLBACK_COMPLETE", None
        except Exception as e:
            outcome, reason = "ROLLBACK_FAILED", f"The following resource(s) failed to delete: {e}"
        stack.resource_map._resource_json_map = {}  # else ListStackResources would build them again
        stack.template_dict = {}
    else:
        stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", error)
        stack.template = previous_template
        try:  # apply the previous template again
            stack.resource_map.update(Stack.parse_template(previous_template), previous_parameters)
            outcome, reason = "UPDATE_ROLLBACK_COMPLETE", None
        except Exception as e:
            outcome = "UPDATE_ROLLBACK_FAILED"
            reason = f"The following resource(s) failed to update: {getattr(e, 'message', None) or e}"
        stack._parse_template()
    stack._add_stack_event(outcome, reason)
    stack.status = outcome
    stack.output_map = stack._create_output_map()
    change_set.execution_status = "EXECUTE_FAILED"


def apply():
    moto_written_for.require(
        "moto_cfn_change_sets.py", WRITTEN_FOR,
        "does moto's ExecuteChangeSet give Outputs, *_FAILED events and rollbacks now")
    # ResourceMap looks these up as module globals at call time
    parsing.parse_and_create_resource = _recording(parsing.parse_and_create_resource)
    parsing.parse_and_update_resource = _recording(parsing.parse_and_update_resource)
    execute = CloudFormationBackend.execute_change_set
    create = CloudFormationResponse.create_change_set

    def execute_like_cloudformation(self, change_set_name, stack_name=None):
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
            execute(self, change_set.change_set_id, stack_name)
            stack._parse_template()
            stack.output_map = stack._create_output_map()
            stack.outputs  # resolve now, so a bad Ref/GetAtt fails the deploy rather than DescribeStacks
        except Exception as e:
            error = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
            # _first_failure None: not a resource's error (parameters, outputs)
            _roll_back(stack, change_set, error, _first_failure.value, previous_template, previous_parameters)
            return
        finally:
            _first_failure.value = ()
        stack.parameters = change_set.parameters
        stack.description = stack.template_dict.get("Description")

    def create_like_cloudformation(self):
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
        # backend then marks an unchanged change set FAILED, as CloudFormation does
        self._validate_different_update = lambda *args, **kwargs: None
        return create(self)

    CloudFormationBackend.execute_change_set = execute_like_cloudformation
    CloudFormationResponse.create_change_set = create_like_cloudformation
