//! The IAM action behind an AWS operation, from the generated table.

use crate::iam::{SERVICES, ServiceActions};

/// What IAM knows about one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationAction {
    /// `prefix:Operation`, e.g. `states:StartExecution`.
    pub action: String,
    /// True when the action takes no resource ARN (only `*`).
    pub unscoped: bool,
}

/// The service's entry, by the name suites use (`dynamodb`, `stepfunctions`).
pub fn service(name: &str) -> Option<&'static ServiceActions> {
    SERVICES
        .binary_search_by(|s| s.service.cmp(name))
        .ok()
        .map(|i| &SERVICES[i])
}

/// Why an operation has no IAM action vigil can derive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoAction {
    /// The service is not one vigil can call.
    #[error(
        "`{service}` is not an AWS service vigil can call (an awsJson service with IAM \
         actions); check the name against the AWS CLI's (`dynamodb`, `stepfunctions`, ...)"
    )]
    UnknownService {
        /// The name as written.
        service: String,
    },
    /// IAM has no action of that name: the operation is authorised
    /// through others.
    #[error(
        "IAM has no action `{prefix}:{operation}`; if `{operation}` is right, the operation is \
         authorised through other actions: add them under `permissions`"
    )]
    NoSuchAction {
        /// The service's IAM prefix (`states` for `stepfunctions`).
        prefix: String,
        /// The operation as written.
        operation: String,
    },
}

/// The action of `service` `operation`, or why there is none.
pub fn action_of(service_name: &str, operation: &str) -> Result<OperationAction, NoAction> {
    let Some(s) = service(service_name) else {
        return Err(NoAction::UnknownService {
            service: service_name.to_owned(),
        });
    };
    let Ok(i) = s.operations.binary_search(&operation) else {
        return Err(NoAction::NoSuchAction {
            prefix: s.prefix.to_owned(),
            operation: operation.to_owned(),
        });
    };
    Ok(OperationAction {
        action: format!("{}:{}", s.prefix, s.operations[i]),
        unscoped: s.unscoped.binary_search(&operation).is_ok(),
    })
}

/// Whether hand-written `permissions` stand for a call to `service` whose
/// action vigil cannot derive: any action of the service's IAM prefix
/// (`states:` for `stepfunctions`) does.
pub fn covered_by<'a>(service_name: &str, mut manual: impl Iterator<Item = &'a str>) -> bool {
    let prefix = service(service_name).map_or(service_name, |s| s.prefix);
    manual.any(|a| a.split(':').next() == Some(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(SERVICES.windows(2).all(|w| w[0].service < w[1].service));
        for s in SERVICES {
            assert!(
                s.operations.windows(2).all(|w| w[0] < w[1]),
                "{}",
                s.service
            );
            assert!(s.unscoped.windows(2).all(|w| w[0] < w[1]), "{}", s.service);
        }
    }

    #[test]
    fn actions_use_the_iam_prefix() {
        let a = action_of("stepfunctions", "DescribeExecution").unwrap();
        assert_eq!(a.action, "states:DescribeExecution");
        assert!(!a.unscoped);
        assert_eq!(
            action_of("dynamodb", "GetItem").unwrap().action,
            "dynamodb:GetItem"
        );
        assert!(action_of("dynamodb", "ListTables").unwrap().unscoped);
        assert_eq!(
            action_of("secretsmanager", "GetSecretValue")
                .unwrap()
                .action,
            "secretsmanager:GetSecretValue"
        );
    }

    #[test]
    fn operations_without_an_action_are_explained() {
        let e = action_of("dynamodb", "TransactWriteItems")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("IAM has no action `dynamodb:TransactWriteItems`"),
            "{e}"
        );
        let e = action_of("s3", "GetObject").unwrap_err().to_string();
        assert!(e.contains("not an AWS service vigil can call"), "{e}");
    }
}
