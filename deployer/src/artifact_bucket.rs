//! Where the provider's zip (and a template too big to send inline) lives:
//! a bucket given with `--bucket`, or vigil's bootstrap bucket, created on
//! first use by a small stack (`vigil-bootstrap`) the way `cdk bootstrap`
//! creates CDK's: private, encrypted, owner-enforced, versioned.
//!
//! An artifact must outlive every stack that may roll back to it: a
//! rollback re-creates the function from the previous artifact's key. So
//! nothing current ever expires. `vigil deploy` deletes a stack's
//! superseded artifacts once its update has completed (nothing can roll
//! back to them then); with versioning on, a deleted artifact stays as a
//! noncurrent version for [`NONCURRENT_DAYS`] days and then expires.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use vigil_cfn::resources::s3;
use vigil_cfn::{DeletionPolicy, Expr, LogicalId, Output, Resource, Template, Value};

use crate::cloudformation::{StackRequest, Stacks, TemplateSource};

/// The default bootstrap stack's name.
pub(crate) const BOOTSTRAP_STACK: &str = "vigil-bootstrap";

/// The bootstrap template's version (its `BootstrapVersion` output): a
/// bootstrap stack of an older version is updated before use.
/// 1: expiring every artifact after 90 days; 2: versioned, only
/// superseded artifacts expire.
pub(crate) const BOOTSTRAP_VERSION: u32 = 2;

/// How long a superseded artifact is kept (as a noncurrent version).
pub(crate) const NONCURRENT_DAYS: i64 = 30;

/// The bootstrap stack's template.
pub(crate) fn bootstrap_template() -> Template {
    let yes = || Some(Value::Lit(true));
    let bucket = s3::Bucket {
        bucket_encryption: Some(s3::bucket::BucketEncryption {
            server_side_encryption_configuration: vec![s3::bucket::ServerSideEncryptionRule {
                server_side_encryption_by_default: Some(
                    s3::bucket::ServerSideEncryptionByDefault {
                        sse_algorithm: Expr::Str("AES256".into()),
                        ..Default::default()
                    },
                ),
                ..Default::default()
            }],
        }),
        public_access_block_configuration: Some(s3::bucket::PublicAccessBlockConfiguration {
            block_public_acls: yes(),
            block_public_policy: yes(),
            ignore_public_acls: yes(),
            restrict_public_buckets: yes(),
        }),
        ownership_controls: Some(s3::bucket::OwnershipControls {
            rules: vec![s3::bucket::OwnershipControlsRule {
                object_ownership: Some(Expr::Str("BucketOwnerEnforced".into())),
            }],
        }),
        versioning_configuration: Some(s3::bucket::VersioningConfiguration {
            status: Expr::Str("Enabled".into()),
        }),
        lifecycle_configuration: Some(s3::bucket::LifecycleConfiguration {
            rules: vec![s3::bucket::Rule {
                id: Some(Expr::Str("expire-superseded-artifacts".into())),
                status: Expr::Str("Enabled".into()),
                noncurrent_version_expiration: Some(s3::bucket::NoncurrentVersionExpiration {
                    noncurrent_days: Value::Lit(NONCURRENT_DAYS),
                    ..Default::default()
                }),
                expired_object_delete_marker: Some(Value::Lit(true)),
                abort_incomplete_multipart_upload: Some(
                    s3::bucket::AbortIncompleteMultipartUpload {
                        days_after_initiation: Value::Lit(1),
                    },
                ),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut resource = Resource::new(bucket);
    // `vigil destroy` empties and deletes it; keep CloudFormation from
    // orphaning or refusing it.
    resource.deletion_policy = Some(DeletionPolicy::Delete);
    resource.update_replace_policy = Some(DeletionPolicy::Delete);
    let mut template = Template {
        description: Some(
            "vigil bootstrap: the bucket that holds assertion provider artifacts".into(),
        ),
        ..Template::default()
    };
    template.resources.insert(
        LogicalId::new("ArtifactBucket").expect("alphanumeric"),
        resource,
    );
    template.outputs.insert(
        "BucketName".into(),
        Output {
            value: Expr::reference("ArtifactBucket"),
            description: Some("Artifacts of vigil stacks, one folder per stack.".into()),
            export: None,
        },
    );
    template.outputs.insert(
        "BootstrapVersion".into(),
        Output {
            value: Expr::Str(BOOTSTRAP_VERSION.to_string()),
            description: Some("The version of vigil's bootstrap template.".into()),
            export: None,
        },
    );
    template
}

/// S3 access for artifacts.
pub(crate) struct Artifacts {
    s3: Client,
}

fn s3_err<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    what: String,
    e: SdkError<E>,
) -> anyhow::Error {
    crate::aws_error::explain(&what, e)
}

impl Artifacts {
    /// A client; with an endpoint override (a local emulator) it uses path
    /// style, since `<bucket>.127.0.0.1` does not resolve.
    pub(crate) fn new(sdk: &aws_config::SdkConfig) -> Artifacts {
        let mut conf = aws_sdk_s3::config::Builder::from(sdk);
        if sdk.endpoint_url().is_some() {
            conf = conf.force_path_style(true);
        }
        Artifacts {
            s3: Client::from_conf(conf.build()),
        }
    }

    /// The bootstrap bucket, creating its stack when it does not exist.
    pub(crate) async fn bootstrap_bucket(stacks: &Stacks, stack: &str) -> anyhow::Result<String> {
        let existing = stacks.describe(stack).await?;
        if let Some(info) = &existing
            && crate::cloudformation::is_usable(&info.status)
            && let Some(b) = info.outputs.get("BucketName")
        {
            let version = info
                .outputs
                .get("BootstrapVersion")
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(1);
            if version >= BOOTSTRAP_VERSION {
                return Ok(b.clone());
            }
            eprintln!(
                "updating the artifact bucket (stack `{stack}`) from bootstrap version {version} \
                 to {BOOTSTRAP_VERSION}: versioned, and only superseded artifacts expire ..."
            );
        } else {
            eprintln!("creating the artifact bucket (stack `{stack}`) ...");
        }
        let deployed = stacks
            .deploy(&StackRequest {
                name: stack.to_owned(),
                template: TemplateSource::Body(bootstrap_template().to_json_pretty()),
                parameters: BTreeMap::new(),
                tags: [("vigil:managed-by".to_owned(), "vigil".to_owned())].into(),
            })
            .await?;
        let info = match deployed {
            crate::cloudformation::Deployed::Changed(i)
            | crate::cloudformation::Deployed::Unchanged(i) => i,
        };
        info.outputs
            .get("BucketName")
            .cloned()
            .with_context(|| format!("stack `{stack}` has no BucketName output"))
    }

    /// Uploads `bytes` unless the key already exists (keys carry a hash).
    /// Returns whether it uploaded.
    pub(crate) async fn put_once(
        &self,
        bucket: &str,
        key: &str,
        bytes: Vec<u8>,
    ) -> anyhow::Result<bool> {
        match self.s3.head_object().bucket(bucket).key(key).send().await {
            Ok(_) => return Ok(false),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {}
            Err(e) => return Err(s3_err(format!("HeadObject s3://{bucket}/{key}"), e)),
        }
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| s3_err(format!("PutObject s3://{bucket}/{key}"), e))?;
        Ok(true)
    }

    /// Deletes the objects under `prefix` other than `keep` (their
    /// current versions: they stay [`NONCURRENT_DAYS`] days as noncurrent
    /// versions); returns the keys deleted.
    pub(crate) async fn delete_superseded(
        &self,
        bucket: &str,
        prefix: &str,
        keep: &[&str],
    ) -> anyhow::Result<Vec<String>> {
        let mut deleted = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| s3_err(format!("ListObjectsV2 s3://{bucket}/{prefix}"), e))?;
            for key in page.contents().iter().filter_map(|o| o.key()) {
                if !keep.contains(&key) {
                    deleted.push(key.to_owned());
                }
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        for key in &deleted {
            self.s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| s3_err(format!("DeleteObject s3://{bucket}/{key}"), e))?;
        }
        Ok(deleted)
    }

    /// Deletes every object under `prefix`, every version and delete
    /// marker (a versioned bucket is empty only then); returns how many
    /// objects (keys) there were.
    pub(crate) async fn delete_prefix(&self, bucket: &str, prefix: &str) -> anyhow::Result<usize> {
        let mut keys = std::collections::BTreeSet::new();
        loop {
            let page = self
                .s3
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .send()
                .await
                .map_err(|e| s3_err(format!("ListObjectVersions s3://{bucket}/{prefix}"), e))?;
            let versions: Vec<(String, Option<String>)> = page
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    page.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                )
                .filter_map(|(k, v)| Some((k?.to_owned(), v.map(str::to_owned))))
                .collect();
            if versions.is_empty() {
                return Ok(keys.len());
            }
            for (key, version) in versions {
                self.s3
                    .delete_object()
                    .bucket(bucket)
                    .key(&key)
                    .set_version_id(version)
                    .send()
                    .await
                    .map_err(|e| s3_err(format!("DeleteObject s3://{bucket}/{key}"), e))?;
                keys.insert(key);
            }
        }
    }

    /// True when the bucket holds no object, no old version and no delete
    /// marker (what deleting the bucket needs).
    pub(crate) async fn is_empty(&self, bucket: &str) -> anyhow::Result<bool> {
        let page = self
            .s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| s3_err(format!("ListObjectVersions s3://{bucket}"), e))?;
        Ok(page.versions().is_empty() && page.delete_markers().is_empty())
    }

    /// The `TemplateURL` of an uploaded template. CloudFormation reads it
    /// from its own S3, so the URL has S3's AWS form even when this process
    /// talks to an endpoint override (an emulator resolves it the same way):
    /// in the commercial partition virtual-hosted, or path style for bucket
    /// names with dots (TLS); elsewhere path style on the partition's
    /// regional endpoint (`s3.cn-north-1.amazonaws.com.cn`), the form the
    /// AWS CLI sends.
    pub(crate) fn url(sdk: &aws_config::SdkConfig, bucket: &str, key: &str) -> String {
        template_url(
            sdk.region().map(|r| r.as_ref()).unwrap_or("us-east-1"),
            bucket,
            key,
        )
    }
}

/// [`Artifacts::url`] for a region.
fn template_url(region: &str, bucket: &str, key: &str) -> String {
    use vigil_aws_model::partition::{AWS, Partition};
    if Partition::of_region(region) == AWS && !bucket.contains('.') {
        format!("https://{bucket}.s3.{region}.{}/{key}", AWS.dns_suffix)
    } else {
        format!("{}/{bucket}/{key}", Partition::s3_endpoint(region))
    }
}

#[cfg(test)]
mod template_url_tests {
    use super::*;

    /// Nothing current expires (a rollback needs the previous artifact);
    /// superseded versions do, after [`NONCURRENT_DAYS`].
    #[test]
    fn the_bootstrap_bucket_is_versioned_and_expires_only_superseded_artifacts() {
        let t: serde_json::Value =
            serde_json::from_str(&bootstrap_template().to_json_pretty()).unwrap();
        let bucket = &t["Resources"]["ArtifactBucket"]["Properties"];
        assert_eq!(bucket["VersioningConfiguration"]["Status"], "Enabled");
        let rules = bucket["LifecycleConfiguration"]["Rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), 1);
        assert!(rules[0].get("ExpirationInDays").is_none(), "{}", rules[0]);
        assert_eq!(
            rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"],
            30
        );
        assert_eq!(rules[0]["ExpiredObjectDeleteMarker"], true);
        assert_eq!(t["Outputs"]["BootstrapVersion"]["Value"], "2");
    }

    #[test]
    fn template_urls_follow_the_partition() {
        assert_eq!(
            template_url("eu-west-1", "b", "k/t.json"),
            "https://b.s3.eu-west-1.amazonaws.com/k/t.json"
        );
        assert_eq!(
            template_url("eu-west-1", "my.bucket", "t.json"),
            "https://s3.eu-west-1.amazonaws.com/my.bucket/t.json"
        );
        assert_eq!(
            template_url("cn-north-1", "b", "t.json"),
            "https://s3.cn-north-1.amazonaws.com.cn/b/t.json"
        );
        assert_eq!(
            template_url("us-gov-west-1", "b", "t.json"),
            "https://s3.us-gov-west-1.amazonaws.com/b/t.json"
        );
    }
}
