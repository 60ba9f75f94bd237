"""moto patch: with IAM checks on, a request's signature is checked over the
body bytes the client sent.

SigV4 signs the SHA-256 of the payload exactly as sent
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html,
"HashedPayload"). moto 5.2.5 (moto/iam/access_control.py,
IAMRequestBase._create_aws_request) recomputes the signature over
`raw_body or data`, and for a form-encoded body (the query protocol:
CloudFormation, IAM, STS, SNS, ...) the raw body is empty, because the form
was parsed from the stream; so it signs the parsed form encoded again by
botocore. That is the client's body only when the client encoded it as
botocore does: aws-sdk-rust's CreateChangeSet (`%20` where botocore writes
`+`, among others) is refused with SignatureDoesNotMatch, so `vigil deploy`
could not run with moto's IAM checks on. And for a request without a
body moto signs the parameters it parsed from the URL (Lambda's
GetFunctionConfiguration: `FunctionName=...`), so even boto3's GET is
refused.

This patch keeps each request's body bytes before the form is parsed
(the form is then parsed from a copy, so nothing else changes) and checks
the signature over them.

VIGIL_MOTO_UNPATCHED=sigv4-raw-body leaves moto as it is.
"""

from io import BytesIO

import moto_written_for
from moto.core import utils
from moto.iam.access_control import IAMRequestBase

WRITTEN_FOR = "5.2.5"


def apply():
    moto_written_for.require(
        "moto_sigv4_raw_body.py", WRITTEN_FOR, "does moto check a form body's signature over the bytes sent now")
    normalize = utils.normalize_request
    create_aws_request = IAMRequestBase._create_aws_request

    def keeping_the_body(request):
        request = normalize(request)
        if "form" not in request.__dict__ and getattr(request, "_cached_data", None) is None:
            raw = request.stream.read()
            request.__dict__["stream"] = BytesIO(raw)  # what the form parser reads
            request.environ["wsgi.input"] = BytesIO(raw)  # what moto's recorder reads
            request.vigil_raw_body = raw
        return request

    def signed_over_the_body(self):
        aws_request = create_aws_request(self)
        from flask import has_request_context, request

        raw = getattr(request, "vigil_raw_body", None) if has_request_context() else None
        if raw is not None:  # also b"": moto signs a GET over its URL parameters
            aws_request.data = raw
        return aws_request

    utils.normalize_request = keeping_the_body
    IAMRequestBase._create_aws_request = signed_over_the_body
