"""moto patch: a bucket made by CloudFormation gets its versioning and
lifecycle rules, as S3 gives it.

moto 5.2.5's `AWS::S3::Bucket` handler applies only `BucketEncryption` and
`Tags` and drops `VersioningConfiguration` and `LifecycleConfiguration`
(moto/s3/models.py, FakeBucket.create_from_cloudformation_json and
update_from_cloudformation_json). CloudFormation applies both
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html).
On moto the bootstrap bucket was therefore unversioned: a deleted artifact
was gone at once instead of kept as a noncurrent version, and a versioned
bucket's "delete every version before deleting the bucket" was never
exercised. This patch applies both properties after moto's own handler.

Lifecycle rules are translated from CloudFormation's property names to
the S3 API's for the fields a rule of vigil's bootstrap bucket uses; any
other field is an error, so a template change moto would silently drop
is noticed here rather than on AWS.

VIGIL_MOTO_UNPATCHED=s3-bucket-properties leaves moto as it is.
"""

import moto_written_for
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

WRITTEN_FOR = "5.2.5"

_create = FakeBucket.create_from_cloudformation_json.__func__
_update = FakeBucket.update_from_cloudformation_json.__func__


def _rule(cfn):
    """One lifecycle rule, CloudFormation form -> S3 API (XML dict) form."""
    handled = {"Id", "Status", "Prefix", "ExpirationInDays", "ExpiredObjectDeleteMarker",
               "NoncurrentVersionExpiration", "NoncurrentVersionExpirationInDays",
               "AbortIncompleteMultipartUpload"}
    unknown = set(cfn) - handled
    if unknown:
        raise ValueError(f"moto_s3_bucket_properties.py does not translate {sorted(unknown)}")
    rule = {"Status": cfn["Status"], "Filter": {"Prefix": cfn.get("Prefix", "")}}
    if "Id" in cfn:
        rule["ID"] = cfn["Id"]
    expiration = {}
    if "ExpirationInDays" in cfn:
        expiration["Days"] = str(cfn["ExpirationInDays"])
    if "ExpiredObjectDeleteMarker" in cfn:
        expiration["ExpiredObjectDeleteMarker"] = str(cfn["ExpiredObjectDeleteMarker"]).lower()
    if expiration:
        rule["Expiration"] = expiration
    days = cfn.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays",
                                                          cfn.get("NoncurrentVersionExpirationInDays"))
    if days is not None:
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": str(days)}
    if "AbortIncompleteMultipartUpload" in cfn:
        rule["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": str(cfn["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
    return rule


def _apply(bucket_name, cloudformation_json, account_id, region_name):
    properties = cloudformation_json.get("Properties", {})
    backend = s3_backends[account_id][get_partition(region_name)]
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        backend.put_bucket_versioning(bucket_name, versioning["Status"])
    lifecycle = properties.get("LifecycleConfiguration")
    if lifecycle:
        backend.put_bucket_lifecycle(bucket_name, [_rule(r) for r in lifecycle.get("Rules", [])])


def _create_with_properties(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = _create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _apply(bucket.name, cloudformation_json, account_id, region_name)
    return bucket


def _update_with_properties(cls, original_resource, new_resource_name, cloudformation_json,
                            account_id, region_name):
    bucket = _update(cls, original_resource, new_resource_name, cloudformation_json,
                     account_id, region_name)
    _apply(bucket.name, cloudformation_json, account_id, region_name)
    return bucket


def apply():
    moto_written_for.require("moto_s3_bucket_properties.py", WRITTEN_FOR, "does moto apply a CloudFormation bucket's versioning and lifecycle now")
    FakeBucket.create_from_cloudformation_json = classmethod(_create_with_properties)
    FakeBucket.update_from_cloudformation_json = classmethod(_update_with_properties)
