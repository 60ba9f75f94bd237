//! Why vigil cannot derive the IAM a step needs. Each is reported at the
//! step's path, unless the suite's own `permissions` cover the call.

use vigil_aws_model::actions::NoAction;

/// A call whose permissions vigil cannot derive from the step alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Underivable {
    /// The operation has no IAM action vigil knows.
    #[error(transparent)]
    Action(#[from] NoAction),
    /// A DynamoDB transaction without its list of items.
    #[error(
        "`{operation}` without a `TransactItems` list: vigil cannot tell which tables it touches"
    )]
    NoTransactItems {
        /// `TransactGetItems` or `TransactWriteItems`.
        operation: String,
    },
    /// A DynamoDB transaction item of a kind vigil does not know.
    #[error("`{operation}` item kind `{kind}` is not one vigil knows")]
    UnknownTransactItem {
        /// The operation.
        operation: String,
        /// The item's kind as written.
        kind: String,
    },
    /// A DynamoDB batch without its request items.
    #[error("`{operation}` without `RequestItems`: vigil cannot tell which tables it touches")]
    NoRequestItems {
        /// `BatchGetItem` or `BatchWriteItem`.
        operation: String,
    },
    /// A SigV4 call to API Gateway whose URL does not name the API.
    #[error(
        "cannot derive the API's ARN from `{url}`; add a permission with action \
         `execute-api:Invoke` and resource \
         `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`"
    )]
    ApiArn {
        /// The URL as written.
        url: String,
    },
    /// A SigV4 call to another service, whose action vigil cannot tell.
    #[error(
        "cannot derive the IAM action for a SigV4 `{service}` call to `{url}`; add a \
         permission (e.g. `lambda:InvokeFunctionUrl` on the function's ARN for a \
         function URL)"
    )]
    SigV4Service {
        /// The signing service.
        service: String,
        /// The URL as written.
        url: String,
    },
}
