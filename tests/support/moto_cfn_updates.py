"""moto patch: a stack update changes every resource it changes on AWS, or
fails where moto cannot.

moto 5.2.5 has no update handler for some resource types, among them two
that vigil's stacks hold: `AWS::Logs::LogGroup` and `AWS::KMS::Key`. For
such a type `parse_and_update_resource` (moto/cloudformation/parsing.py)
returns None and the stack stores that None as the resource: the change is
not applied and every later Ref/GetAtt to the resource fails. An earlier
version of the local chain kept the old resource instead, which hid the
change: a new retention or key policy looked deployed and was not.

This patch applies the update as CloudFormation documents it for those two
types, and fails the update of any other type moto cannot update, with a
reason that says so (the change-set patch then reports UPDATE_FAILED and
rolls back, as AWS does when a handler fails):

- AWS::Logs::LogGroup
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html):
  `RetentionInDays` and `Tags` change in place; a new `LogGroupName` replaces
  the group.
- AWS::KMS::Key
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html):
  `Description`, `KeyPolicy`, `EnableKeyRotation`, `Enabled` and `Tags`
  change in place; a new `KeySpec`, `KeyUsage`, `MultiRegion` or `Origin`
  replaces the key, and the old one is scheduled for deletion after
  `PendingWindowInDays` (default 30).

VIGIL_MOTO_UNPATCHED=cfn-updates leaves moto as it is.
"""

import json

import moto_written_for
from moto.cloudformation import parsing
from moto.kms.models import Key, kms_backends
from moto.logs.models import LogGroup, logs_backends

WRITTEN_FOR = "5.2.5"
# property -> (the key's attribute, the property's default)
KEY_REPLACED_BY = {
    "KeySpec": ("key_spec", "SYMMETRIC_DEFAULT"),
    "KeyUsage": ("key_usage", "ENCRYPT_DECRYPT"),
    "MultiRegion": ("multi_region", False),
    "Origin": ("origin", "AWS_KMS"),
}


def _cfn_tags(props):
    return {t["Key"]: t["Value"] for t in props.get("Tags", [])}


def _update_log_group(logical_id, original, resource_json, resources_map, account_id, region_name):
    props = resource_json.get("Properties", {})
    backend = logs_backends[account_id][region_name]
    name = props.get("LogGroupName")
    if name and name != original.name:
        new = LogGroup.create_from_cloudformation_json(name, resource_json, account_id, region_name)
        backend.delete_log_group(original.name)
        return new
    if props.get("RetentionInDays") is None:
        backend.delete_retention_policy(original.name)
    else:
        backend.put_retention_policy(original.name, props["RetentionInDays"])
    wanted = _cfn_tags(props)
    gone = [k for k in backend.tagger.get_tag_dict_for_resource(original.arn) if k not in wanted]
    backend.untag_resource(original.arn, gone)
    backend.tag_resource(original.arn, wanted)
    return original


def _update_key(logical_id, original, resource_json, resources_map, account_id, region_name):
    props = resource_json.get("Properties", {})
    backend = kms_backends[account_id][region_name]
    if any(props.get(p, default) != getattr(original, attr) for p, (attr, default) in KEY_REPLACED_BY.items()):
        new = Key.create_from_cloudformation_json(logical_id, resource_json, account_id, region_name)
        backend.schedule_key_deletion(original.id, int(props.get("PendingWindowInDays", 30)))
        return new
    policy = props.get("KeyPolicy")
    if policy is not None:
        backend.put_key_policy(original.id, policy if isinstance(policy, str) else json.dumps(policy))
    backend.update_key_description(original.id, props.get("Description", ""))
    if props.get("EnableKeyRotation", False):
        backend.enable_key_rotation(original.id)
    else:
        backend.disable_key_rotation(original.id)
    if props.get("Enabled", True):
        backend.enable_key(original.id)
    else:
        backend.disable_key(original.id)
    wanted = _cfn_tags(props)
    gone = [k for k in backend.tagger.get_tag_dict_for_resource(original.id) if k not in wanted]
    backend.untag_resource(original.arn, gone)
    backend.tag_resource(original.arn, wanted)
    return original


UPDATES = {"AWS::Logs::LogGroup": _update_log_group, "AWS::KMS::Key": _update_key}


class NoUpdateHandler(Exception):
    """moto cannot update this resource type; AWS would have."""

    def __init__(self, logical_id, resource_type):
        self.message = (
            f"the local chain cannot update {resource_type} `{logical_id}` in place: moto "
            f"{WRITTEN_FOR} has no update handler for it, and AWS would apply the change. "
            "Add the update to tests/support/moto_cfn_updates.py"
        )
        super().__init__(self.message)


def apply():
    moto_written_for.require(
        "moto_cfn_updates.py", WRITTEN_FOR, "does moto's CloudFormation update LogGroups and KMS keys now")
    create = parsing.parse_and_create_resource
    update = parsing.parse_and_update_resource

    def create_remembering(logical_id, resource_json, resources_map, account_id, region_name):
        resource = create(logical_id, resource_json, resources_map, account_id, region_name)
        parsed = parsing.parse_resource(resource_json, resources_map) if resource is not None else None
        if parsed:
            resource.vigil_applied = parsed[1]  # the properties it was made with, resolved
        return resource

    def update_or_fail(logical_id, resource_json, resources_map, account_id, region_name):
        parsed = parsing.parse_resource_and_generate_name(logical_id, resource_json, resources_map)
        if parsed and hasattr(parsed[0].update_from_cloudformation_json, "__isabstractmethod__"):
            resource_type = resource_json["Type"]
            original = resources_map[logical_id]
            if getattr(original, "vigil_applied", None) == parsed[1]:
                # nothing to change: e.g. the rollback of an update that failed
                # on this resource before changing it
                return original
            handler = UPDATES.get(resource_type)
            if handler is None:
                raise NoUpdateHandler(logical_id, resource_type)
            resource = handler(logical_id, original, parsed[1], resources_map, account_id, region_name)
            resource.cf_resource_type = resource_type
            resource.logical_resource_id = logical_id
            resource.vigil_applied = parsed[1]
            return resource
        return update(logical_id, resource_json, resources_map, account_id, region_name)

    parsing.parse_and_create_resource = create_remembering
    parsing.parse_and_update_resource = update_or_fail
