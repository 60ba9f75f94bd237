"""moto_sfn.py, plus CloudFormation's tags on KMS keys.

moto 5.2.5 hands an `AWS::KMS::Key`'s `Tags` ({Key, Value}, as
CloudFormation writes them) straight to the KMS API's CreateKey, which
reads {TagKey, TagValue}: the key fails with `KeyError: 'TagKey'`, so no
stack with a secret capture (its `SealingKey`) can be created. This
launcher translates the tags, then runs moto_sfn.py unchanged, with the
same arguments.

usage: moto_kms_tags.py PORT PROXY_PORT LAMBDA_URL LAMBDA_FUNCTION
"""

import runpy
from pathlib import Path

from moto.kms.models import Key

_create_key = Key.create_from_cloudformation_json.__func__


def _create_key_with_cfn_tags(cls, resource_name, cloudformation_json, *args, **kwargs):
    properties = cloudformation_json.get("Properties", {})
    tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
    cloudformation_json = {**cloudformation_json, "Properties": {**properties, "Tags": tags}}
    return _create_key(cls, resource_name, cloudformation_json, *args, **kwargs)


Key.create_from_cloudformation_json = classmethod(_create_key_with_cfn_tags)
runpy.run_path(str(Path(__file__).with_name("moto_sfn.py")), run_name="__main__")
