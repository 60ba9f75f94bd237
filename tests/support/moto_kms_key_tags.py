"""moto patch: a KMS key made by CloudFormation keeps its tags.

moto 5.2.5 hands an `AWS::KMS::Key`'s `Tags` ({Key, Value}, as
CloudFormation writes them) straight to its KMS model, which reads
{TagKey, TagValue} (moto/kms/models.py, Key.create_from_cloudformation_json):
the key fails with `KeyError: 'TagKey'`, so no stack with a secret capture
(its `SealingKey`) could be created. CloudFormation tags the key
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html).
This patch translates the tags before moto's handler reads them.

VIGIL_MOTO_UNPATCHED=kms-key-tags leaves moto as it is.
"""

import moto_written_for
from moto.kms.models import Key

WRITTEN_FOR = "5.2.5"

_create_key = Key.create_from_cloudformation_json.__func__


def _create_key_with_cfn_tags(cls, resource_name, cloudformation_json, *args, **kwargs):
    properties = cloudformation_json.get("Properties", {})
    tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
    cloudformation_json = {**cloudformation_json, "Properties": {**properties, "Tags": tags}}
    return _create_key(cls, resource_name, cloudformation_json, *args, **kwargs)


def apply():
    moto_written_for.require("moto_kms_key_tags.py", WRITTEN_FOR, "does moto read a CloudFormation key's Tags now")
    Key.create_from_cloudformation_json = classmethod(_create_key_with_cfn_tags)
