//! Which AWS partition a region is in, and its DNS suffix: the facts of
//! botocore's `data/partitions.json` (same pinned botocore as the other
//! tables), written out by hand because they are eight rules that change
//! when AWS opens a partition, not per release.
//!
//! vigil builds URLs that AWS reads from its own side — a CloudFormation
//! `TemplateURL` — and links people open; in China the S3 endpoint ends in
//! `amazonaws.com.cn`, in the ISO partitions in other domains, and a URL
//! built for `amazonaws.com` points nowhere.

/// An AWS partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Its id, as in ARNs (`aws`, `aws-cn`, `aws-us-gov`, ...).
    pub id: &'static str,
    /// The suffix of its service endpoints.
    pub dns_suffix: &'static str,
}

/// The partitions by the region prefix that identifies them, the more
/// specific first (`us-gov-` and `us-iso` before the `aws` default).
const BY_PREFIX: [(&str, Partition); 7] = [
    (
        "cn-",
        Partition {
            id: "aws-cn",
            dns_suffix: "amazonaws.com.cn",
        },
    ),
    (
        "us-gov-",
        Partition {
            id: "aws-us-gov",
            dns_suffix: "amazonaws.com",
        },
    ),
    (
        "us-isob-",
        Partition {
            id: "aws-iso-b",
            dns_suffix: "sc2s.sgov.gov",
        },
    ),
    (
        "us-isof-",
        Partition {
            id: "aws-iso-f",
            dns_suffix: "csp.hci.ic.gov",
        },
    ),
    (
        "us-iso-",
        Partition {
            id: "aws-iso",
            dns_suffix: "c2s.ic.gov",
        },
    ),
    (
        "eu-isoe-",
        Partition {
            id: "aws-iso-e",
            dns_suffix: "cloud.adc-e.uk",
        },
    ),
    (
        "eusc-",
        Partition {
            id: "aws-eusc",
            dns_suffix: "amazonaws.eu",
        },
    ),
];

/// The commercial partition, every region no other rule claims.
pub const AWS: Partition = Partition {
    id: "aws",
    dns_suffix: "amazonaws.com",
};

impl Partition {
    /// The partition of `region`.
    pub fn of_region(region: &str) -> Partition {
        BY_PREFIX
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix))
            .map_or(AWS, |(_, p)| *p)
    }

    /// The AWS Management Console's origin for `region`, or None where no
    /// public console host is known (the ISO and sovereign partitions).
    /// The commercial console is regional
    /// (https://docs.aws.amazon.com/general/latest/gr/mgmt-console.html);
    /// China's and GovCloud's consoles have hosts of their own
    /// (`console.amazonaws.cn`, `console.amazonaws-us-gov.com`, the latter
    /// next to GovCloud's `signin.amazonaws-us-gov.com`), the region in the
    /// query string.
    pub fn console_origin(region: &str) -> Option<String> {
        match Partition::of_region(region).id {
            "aws" => Some(format!("https://{region}.console.aws.amazon.com")),
            "aws-cn" => Some("https://console.amazonaws.cn".to_owned()),
            "aws-us-gov" => Some("https://console.amazonaws-us-gov.com".to_owned()),
            _ => None,
        }
    }

    /// `https://s3.<region>.<suffix>`: the regional S3 endpoint, which
    /// the AWS CLI also uses for the `TemplateURL`s it builds.
    pub fn s3_endpoint(region: &str) -> String {
        format!(
            "https://s3.{region}.{}",
            Partition::of_region(region).dns_suffix
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_find_their_partition() {
        for (region, id, suffix) in [
            ("us-east-1", "aws", "amazonaws.com"),
            ("eu-west-3", "aws", "amazonaws.com"),
            ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
            ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
            ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
            ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
            ("us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"),
            ("eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"),
            ("eusc-de-east-1", "aws-eusc", "amazonaws.eu"),
        ] {
            let p = Partition::of_region(region);
            assert_eq!((p.id, p.dns_suffix), (id, suffix), "{region}");
        }
        assert_eq!(
            Partition::s3_endpoint("cn-north-1"),
            "https://s3.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn consoles_are_on_their_partitions_host() {
        for (region, origin) in [
            (
                "eu-west-3",
                Some("https://eu-west-3.console.aws.amazon.com"),
            ),
            ("cn-north-1", Some("https://console.amazonaws.cn")),
            (
                "us-gov-east-1",
                Some("https://console.amazonaws-us-gov.com"),
            ),
            ("us-iso-east-1", None),
            ("eusc-de-east-1", None),
        ] {
            assert_eq!(
                Partition::console_origin(region).as_deref(),
                origin,
                "{region}"
            );
        }
    }
}
