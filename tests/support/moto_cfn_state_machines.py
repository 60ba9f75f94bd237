"""moto patch: a state machine made by CloudFormation is one Step Functions
can run, with the definition CloudFormation would give it.

moto 5.2.5's `AWS::StepFunctions::StateMachine` handler
(moto/stepfunctions/models.py, StateMachine.create_from_cloudformation_json)
(1) always writes to `stepfunctions_backends`, while with
`execute_state_machine` on the API serves the separate executing backend
(`stepfunctions_parser_backends`), so StartExecution on a stack's machine
answers StateMachineDoesNotExist; (2) reads only `DefinitionString`, and
ignores `Definition` (an object) and `DefinitionSubstitutions`; (3) has no
`Arn` attribute for Fn::GetAtt. CloudFormation supports all three
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html).
This patch replaces the three lifecycle hooks so they use the backend the
API uses and build the definition as CloudFormation does. Intrinsics inside
the properties, DefinitionSubstitutions' values included, are resolved by
moto's clean_json before the hooks run.

moto's clean_json also drops dict entries whose value is JSON null (e.g.
`"ResultPath": null` in a `Definition` object); CloudFormation rejects nulls
in templates anyway, so vigil emits such ASL as `DefinitionString`.

VIGIL_MOTO_UNPATCHED=cfn-state-machines leaves moto as it is.
"""

import json
import re

import moto_written_for
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.responses import get_backend
from moto.stepfunctions.utils import cfn_to_api_tags

WRITTEN_FOR = "5.2.5"


def _definition(props):
    """Definition (object) or DefinitionString, with ${key} replaced for each
    key of DefinitionSubstitutions; other ${...} tokens are left as they are,
    as CloudFormation leaves them (vigil's step templates use `${param}`)."""
    if "Definition" in props:
        definition = json.dumps(props["Definition"])
    else:
        definition = props.get("DefinitionString", "")
    subs = props.get("DefinitionSubstitutions") or {}

    def value(match):
        v = subs[match.group(1)]
        return v if isinstance(v, str) else json.dumps(v)

    if subs:
        definition = re.sub(r"\$\{([^}]*)\}", lambda m: value(m) if m.group(1) in subs else m.group(0), definition)
    return definition


def _logging(props):
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


def _create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]
    return get_backend(account_id, region_name).create_state_machine(
        props.get("StateMachineName", resource_name),
        _definition(props),
        props.get("RoleArn", ""),
        tags=cfn_to_api_tags(props.get("Tags", [])),
        loggingConfiguration=_logging(props),
        sm_type=props.get("StateMachineType", "STANDARD"),
    )


def _delete(cls, resource_name, cloudformation_json, account_id, region_name):
    # resource_name is the physical id, i.e. the ARN
    get_backend(account_id, region_name).delete_state_machine(resource_name)


def _update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    props = cloudformation_json.get("Properties", {})
    if props.get("StateMachineName", original_resource.name) != original_resource.name:
        # a new name means replacement, as in AWS
        new = _create(cls, new_resource_name, cloudformation_json, account_id, region_name)
        _delete(cls, original_resource.arn, cloudformation_json, account_id, region_name)
        return new
    backend = get_backend(account_id, region_name)
    machine = backend.update_state_machine(
        original_resource.arn,
        definition=_definition(props) if ("Definition" in props or "DefinitionString" in props) else None,
        role_arn=props.get("RoleArn"),
        logging_configuration=_logging(props),
    )
    backend.tagger.tag_resource(machine.arn, cfn_to_api_tags(props.get("Tags", [])))
    return machine


def apply():
    moto_written_for.require(
        "moto_cfn_state_machines.py", WRITTEN_FOR,
        "does moto's CloudFormation make state machines the executing backend runs, from Definition")
    get_att = StateMachine.get_cfn_attribute
    StateMachine.create_from_cloudformation_json = classmethod(_create)
    StateMachine.delete_from_cloudformation_json = classmethod(_delete)
    StateMachine.update_from_cloudformation_json = classmethod(_update)
    StateMachine.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Arn", "Name"))
    StateMachine.get_cfn_attribute = lambda self, attr: self.arn if attr == "Arn" else get_att(self, attr)
