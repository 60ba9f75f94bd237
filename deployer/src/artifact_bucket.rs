//! Where the provider's zip (and a template too big to send inline) lives:
//! a bucket given with `--bucket`, or vigil's bootstrap bucket, created on
//! first use by a small stack (`vigil-bootstrap`) the way `cdk bootstrap`
//! creates CDK's: private, encrypted, owner-enforced, old uploads expiring.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use vigil_cfn::resources::s3;
use vigil_cfn::{DeletionPolicy, Expr, LogicalId, Output, Resource, Template, Value};

use crate::cloudformation::{StackRequest, Stacks, TemplateSource};

/// The default bootstrap stack's name.
pub const BOOTSTRAP_STACK: &str = "vigil-bootstrap";

/// The bootstrap stack's template.
pub fn bootstrap_template() -> Template {
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
        lifecycle_configuration: Some(s3::bucket::LifecycleConfiguration {
            rules: vec![s3::bucket::Rule {
                id: Some(Expr::Str("expire-old-artifacts".into())),
                status: Expr::Str("Enabled".into()),
                expiration_in_days: Some(Value::Lit(90)),
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
    template
}

/// S3 access for artifacts.
pub struct Artifacts {
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
    pub fn new(sdk: &aws_config::SdkConfig) -> Artifacts {
        let mut conf = aws_sdk_s3::config::Builder::from(sdk);
        if sdk.endpoint_url().is_some() {
            conf = conf.force_path_style(true);
        }
        Artifacts {
            s3: Client::from_conf(conf.build()),
        }
    }

    /// The bootstrap bucket, creating its stack when it does not exist.
    pub async fn bootstrap_bucket(stacks: &Stacks, stack: &str) -> anyhow::Result<String> {
        if let Some(info) = stacks.describe(stack).await?
            && crate::cloudformation::is_usable(&info.status)
            && let Some(b) = info.outputs.get("BucketName")
        {
            return Ok(b.clone());
        }
        eprintln!("creating the artifact bucket (stack `{stack}`) ...");
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
    pub async fn put_once(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> anyhow::Result<bool> {
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

    /// Deletes every object under `prefix`; returns how many.
    pub async fn delete_prefix(&self, bucket: &str, prefix: &str) -> anyhow::Result<usize> {
        let mut deleted = 0;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .send()
                .await
                .map_err(|e| s3_err(format!("ListObjectsV2 s3://{bucket}/{prefix}"), e))?;
            let keys: Vec<String> = page
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned))
                .collect();
            if keys.is_empty() {
                return Ok(deleted);
            }
            for key in keys {
                self.s3
                    .delete_object()
                    .bucket(bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|e| s3_err(format!("DeleteObject s3://{bucket}/{key}"), e))?;
                deleted += 1;
            }
        }
    }

    /// True when the bucket holds no object.
    pub async fn is_empty(&self, bucket: &str) -> anyhow::Result<bool> {
        let page = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| s3_err(format!("ListObjectsV2 s3://{bucket}"), e))?;
        Ok(page.contents().is_empty())
    }

    /// The `TemplateURL` of an uploaded template. CloudFormation reads it
    /// from its own S3, so the URL has S3's AWS form even when this process
    /// talks to an endpoint override (an emulator resolves it the same way):
    /// in the commercial partition virtual-hosted, or path style for bucket
    /// names with dots (TLS); elsewhere path style on the partition's
    /// regional endpoint (`s3.cn-north-1.amazonaws.com.cn`), the form the
    /// AWS CLI sends.
    pub fn url(sdk: &aws_config::SdkConfig, bucket: &str, key: &str) -> String {
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
    use super::template_url;

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
