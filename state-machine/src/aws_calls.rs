//! An `aws` call checked against botocore's model before anything runs:
//! the service (an awsJson one, by its CLI name), the operation, and every
//! member of `params` against the operation's input shape. (Whether IAM
//! can name the call's action is the stack's question; `vigil validate`
//! asks it too, by building the stack in memory.) Each
//! problem names its path (`...call.params.Key.id.S`), so the CLI can
//! point at the line and column.

use serde_json::Value;
use vigil_aws_model::PathSegment;
use vigil_aws_model::check::{Expected, Found, LookupError, ProblemKind, TemplateKind};
use vigil_aws_model::inputs::Scalar;
use vigil_aws_model::services::{AWS_SERVICES, Protocol};
use vigil_matchers::suggest::did_you_mean;
use vigil_protocol::template::{self, Piece};

use crate::suite::{ParamType, Suite};

fn speaks_json(p: Protocol) -> bool {
    matches!(p, Protocol::AwsJson1_0 | Protocol::AwsJson1_1)
}

/// A protocol as AWS's docs name it.
fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::AwsJson1_0 => "awsJson 1.0",
        Protocol::AwsJson1_1 => "awsJson 1.1",
        Protocol::RestJson => "restJson",
        Protocol::RestXml => "restXml",
        Protocol::Query => "the query protocol",
        Protocol::Ec2 => "the EC2 query protocol",
        Protocol::Other => "a protocol vigil does not speak",
    }
}

/// What a string of `params` fills in, from the suite's parameter types.
fn template_kind(suite: &Suite, text: &str) -> TemplateKind {
    let Ok(pieces) = template::parse(text) else {
        // Reported with the other template problems.
        return TemplateKind::Text;
    };
    match pieces.as_slice() {
        [Piece::Param(p)] => match suite.params.iter().find(|(k, _)| k.as_str() == p) {
            Some((_, param)) => match ParamType::of(param) {
                ParamType::String => TemplateKind::Text,
                ParamType::Number => TemplateKind::Number,
                ParamType::Boolean => TemplateKind::Boolean,
                ParamType::Json => TemplateKind::Any,
            },
            // An unknown parameter is reported elsewhere.
            None => TemplateKind::Any,
        },
        [Piece::Capture(_)] => TemplateKind::Any,
        _ if pieces.iter().all(|p| matches!(p, Piece::Text(_))) && !text.contains("$${") => {
            TemplateKind::Literal
        }
        _ => TemplateKind::Text,
    }
}

/// The parameter a string is exactly a template of, if it is one.
fn whole_param(text: &str) -> Option<String> {
    match template::parse(text).ok()?.as_slice() {
        [Piece::Param(p)] => Some(p.clone()),
        _ => None,
    }
}

/// The problems of one `aws` call; `at` is the call's path.
pub(crate) fn check(
    suite: &Suite,
    service: &str,
    operation: &str,
    params: &Value,
    at: &str,
    err: &mut impl FnMut(String, String),
) {
    let json_services = || {
        AWS_SERVICES
            .iter()
            .filter(|s| speaks_json(s.protocol))
            .map(|s| s.name)
    };
    let Some(known) = AWS_SERVICES.iter().find(|s| s.name == service) else {
        err(
            format!("{at}.service"),
            format!(
                "`{service}` is not an AWS service: an `aws` call takes the service's AWS CLI \
                 name (`dynamodb`, `stepfunctions`, `secretsmanager`, ...){}",
                did_you_mean(service, json_services())
            ),
        );
        return;
    };
    if !speaks_json(known.protocol) {
        let instead = if service == "lambda" {
            "to invoke a function, write a `lambda` call".to_owned()
        } else {
            "call it through a `lambda` step, or an `http` step with `auth: {sigv4: ...}`"
                .to_owned()
        };
        err(
            format!("{at}.service"),
            format!(
                "`{service}` speaks {}, and an `aws` call reaches awsJson services only \
                 (`dynamodb`, `sqs`, `stepfunctions`, `logs`, ...); {instead}",
                protocol_name(known.protocol)
            ),
        );
        return;
    }
    let problems = match vigil_aws_model::check_params(service, operation, params, &|s| {
        template_kind(suite, s)
    }) {
        Ok(p) => p,
        Err(LookupError::UnknownOperation { known, .. }) => {
            err(
                format!("{at}.operation"),
                format!(
                    "`{service}` has no operation `{operation}`{} (botocore {})",
                    did_you_mean(operation, known.iter().map(String::as_str)),
                    vigil_aws_model::inputs::botocore_version()
                ),
            );
            return;
        }
        Err(LookupError::UnknownService(_)) => {
            // A JSON service in the service table has its shapes; if a
            // newer table ever lacks one, the run will tell.
            Vec::new()
        }
    };
    for p in problems {
        let mut path = format!("{at}.params");
        for seg in &p.path {
            match seg {
                PathSegment::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                PathSegment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        let message = match &p.kind {
            ProblemKind::UnknownMember { name, known, .. } => format!(
                "{}{}",
                p.kind,
                did_you_mean(name, known.iter().map(String::as_str))
            ),
            ProblemKind::NotInEnum { value, allowed } => format!(
                "{}{}",
                p.kind,
                did_you_mean(value, allowed.iter().map(String::as_str))
            ),
            ProblemKind::WrongType {
                expected: Expected::Scalar(scalar),
                found: Found::Template { text, .. },
            } => match (whole_param(text), scalar) {
                (Some(name), Scalar::Integer | Scalar::Long | Scalar::Double | Scalar::Float) => {
                    format!(
                        "{}; a parameter is text unless it says otherwise: declare `{name}` with \
                     `type: number`",
                        p.kind
                    )
                }
                (Some(name), Scalar::Boolean) => {
                    format!("{}; declare `{name}` with `type: boolean`", p.kind)
                }
                _ => p.kind.to_string(),
            },
            _ => p.kind.to_string(),
        };
        err(path, message);
    }
}
