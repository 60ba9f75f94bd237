"""What moto does where a patch corrects it: one observation per patch, so
deployer/tests/moto_patches.rs can show each patch is still needed (moto
without it differs from AWS) and still works (with it, AWS's behaviour).

usage: moto_patch_checks.py CHECK MOTO_URL PROXY_URL   (prints one JSON line)

CHECK is the patch's name in moto_sfn.py's PATCHES.
"""

import io
import json
import sys
import urllib.error
import urllib.request
import zipfile

import boto3
from botocore.exceptions import ClientError

check, moto_url, proxy_url = sys.argv[1:4]
REGION = "us-east-1"


def client(service, credentials=None):
    credentials = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, endpoint_url=moto_url, region_name=REGION, **credentials)


def outcome(call, detail=False):
    """'ok', or the error code the call failed with (and its message)."""
    try:
        call()
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"] + (": " + e.response["Error"]["Message"] if detail else "")


def stack(name, resources, outputs=None, **kw):
    template = {"Resources": resources, **({"Outputs": outputs} if outputs else {})}
    cfn = client("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template), **kw)
    return cfn


def cfn_state_machines():
    machine = {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "RoleArn": "arn:aws:iam::123456789012:role/sfn",
        "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Greeting}", "End": True}}},
        "DefinitionSubstitutions": {"Greeting": "hello"}}}
    try:
        stack("machines", {"M": machine}, {"Arn": {"Value": {"Fn::GetAtt": ["M", "Arn"]}}})
        arn = client("cloudformation").describe_stack_resource(
            StackName="machines", LogicalResourceId="M")["StackResourceDetail"]["PhysicalResourceId"]
        definition = json.loads(client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"])
        started = outcome(lambda: client("stepfunctions").start_execution(stateMachineArn=arn))
        return {"created": "ok", "result": definition["States"]["P"].get("Result"), "started": started}
    except ClientError as e:
        return {"created": e.response["Error"]["Code"]}


def cfn_change_sets():
    cfn = client("cloudformation")
    template = {"Parameters": {"P": {"Type": "String"}}, "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {"Url": {"Value": {"Ref": "Q"}}}}
    parameters = [{"ParameterKey": "P", "ParameterValue": "v"}]
    cfn.create_change_set(StackName="sets", ChangeSetName="c1", ChangeSetType="CREATE",
                          TemplateBody=json.dumps(template), Parameters=parameters)
    cfn.execute_change_set(ChangeSetName="c1", StackName="sets")
    outputs = cfn.describe_stacks(StackName="sets")["Stacks"][0].get("Outputs", [])
    try:
        cfn.create_change_set(StackName="sets", ChangeSetName="c2", ChangeSetType="UPDATE",
                              TemplateBody=json.dumps(template), Parameters=parameters)
        unchanged = cfn.describe_change_set(ChangeSetName="c2", StackName="sets")["Status"]
    except ClientError as e:
        unchanged = e.response["Error"]["Code"]
    return {"outputs": len(outputs), "unchanged_change_set": unchanged}


def cfn_updates():
    group = lambda days: {"G": {"Type": "AWS::Logs::LogGroup", "Properties": {  # noqa: E731
        "LogGroupName": "vigil-check", "RetentionInDays": days}},
        "K": {"Type": "AWS::KMS::Key", "Properties": {"Description": f"kept {days} days", "KeyPolicy": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                    "Action": "kms:*", "Resource": "*"}]}}}}
    cfn = stack("updates", group(7))
    try:
        cfn.update_stack(StackName="updates", TemplateBody=json.dumps({"Resources": group(30)}))
    except Exception as e:  # moto as is: HTTP 500 on the next Ref to the None it stored
        return {"updated": type(e).__name__}
    retention = client("logs").describe_log_groups(logGroupNamePrefix="vigil-check")["logGroups"][0].get(
        "retentionInDays")
    try:
        key = cfn.describe_stack_resource(StackName="updates", LogicalResourceId="K")["StackResourceDetail"][
            "PhysicalResourceId"]
        description = client("kms").describe_key(KeyId=key)["KeyMetadata"]["Description"]
    except Exception as e:  # moto as is: HTTP 500, the resource it stored is None
        description = type(e).__name__
    vpc = lambda cidr: {"V": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}}}  # noqa: E731
    cfn.create_change_set(StackName="vpc", ChangeSetName="c1", ChangeSetType="CREATE",
                          TemplateBody=json.dumps({"Resources": vpc("10.1.0.0/16")}))
    cfn.execute_change_set(ChangeSetName="c1", StackName="vpc")
    cfn.create_change_set(StackName="vpc", ChangeSetName="c2", ChangeSetType="UPDATE",
                          TemplateBody=json.dumps({"Resources": vpc("10.2.0.0/16")}))
    cfn.execute_change_set(ChangeSetName="c2", StackName="vpc")
    events = cfn.describe_stack_events(StackName="vpc")["StackEvents"]
    failed = [e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"] == "UPDATE_FAILED"]
    return {"updated": "ok", "retention": retention, "key_description": description,
            "unupdatable": cfn.describe_stacks(StackName="vpc")["Stacks"][0]["StackStatus"],
            "unupdatable_reason": failed[0] if failed else None}


def iam_resources():
    """A function's role may GetItem on table A and GetSecretValue on
    `secret:token-??????`, nothing else. With IAM checks on, and the
    credentials Lambda would give the function, what may it do?"""
    ddb = client("dynamodb")
    for t in ("A", "B"):
        ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    client("secretsmanager").create_secret(Name="token", SecretString="s3cret")
    iam = client("iam")
    admin = iam.create_user(UserName="admin")["User"]["UserName"]
    iam.put_user_policy(UserName=admin, PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=admin)["AccessKey"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="narrow", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    arn = "arn:aws:{}:us-east-1:123456789012:{}"
    iam.put_role_policy(RoleName="narrow", PolicyName="narrow", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arn.format("dynamodb", "table/A")},
            {"Effect": "Allow", "Action": "secretsmanager:getsecretvalue",
             "Resource": arn.format("secretsmanager", "secret:token-??????")}]}))
    untrusted = iam.create_role(RoleName="untrusted", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "")
    lam = client("lambda")
    for name, r in (("narrow", role), ("untrusted", untrusted)):
        lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=r, Handler="bootstrap",
                            Code={"ZipFile": code.getvalue()})
    urllib.request.urlopen(urllib.request.Request(  # IAM checks on from here
        f"{moto_url}/moto-api/reset-auth", data=b"0", method="POST", headers={"content-type": "text/plain"}))

    def credentials(function):
        try:
            with urllib.request.urlopen(f"{proxy_url}/__vigil/lambda-credentials/{function}") as r:
                c = json.load(r)
        except urllib.error.HTTPError as e:
            return e.code
        return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                "aws_session_token": c["Token"]}

    as_role = credentials("narrow")
    ddb, secrets = client("dynamodb", as_role), client("secretsmanager", as_role)
    admin_ddb = client("dynamodb", {"aws_access_key_id": key["AccessKeyId"],
                                    "aws_secret_access_key": key["SecretAccessKey"]})
    item = {"k": {"S": "1"}}
    return {
        "get_a": outcome(lambda: ddb.get_item(TableName="A", Key=item)),
        "get_b": outcome(lambda: ddb.get_item(TableName="B", Key=item)),
        "query_a": outcome(lambda: ddb.query(TableName="A", KeyConditionExpression="k = :k",
                                             ExpressionAttributeValues={":k": {"S": "1"}}), detail=True),
        "secret": outcome(lambda: secrets.get_secret_value(SecretId="token")),
        "admin_get_b": outcome(lambda: admin_ddb.get_item(TableName="B", Key=item)),
        "untrusted_credentials": credentials("untrusted"),
    }


def sigv4_raw_body():
    """With IAM checks on: does the signature of a form body encoded otherwise
    than botocore encodes it (`%20` for a space) hold, and that of boto3's
    own GET without a body (Lambda's GetFunctionConfiguration)?"""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    iam = client("iam")
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="u")["AccessKey"]
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "")
    client("lambda").create_function(FunctionName="f", Runtime="provided.al2023", Role=role, Handler="bootstrap",
                                     Code={"ZipFile": code.getvalue()})
    urllib.request.urlopen(urllib.request.Request(
        f"{moto_url}/moto-api/reset-auth", data=b"0", method="POST", headers={"content-type": "text/plain"}))
    lam = client("lambda", {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]})
    get = outcome(lambda: lam.get_function_configuration(FunctionName="f"))
    body = b"Action=DescribeStacks&Version=2010-05-15&StackName=no%20such%20stack"
    signed = AWSRequest(method="POST", url=moto_url + "/", data=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "cloudformation", REGION).add_auth(signed)
    prepared = signed.prepare()
    try:
        urllib.request.urlopen(urllib.request.Request(prepared.url, data=body, method="POST",
                                                      headers=dict(prepared.headers)))
        return {"answer": "ok", "get": get}
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        code = text.split("<Code>", 1)[-1].split("</Code>", 1)[0]
        message = text.split("<Message>", 1)[-1].split("</Message>", 1)[0]
        return {"answer": code, "message": message, "get": get}


CHECKS = {"sigv4-raw-body": sigv4_raw_body, "cfn-state-machines": cfn_state_machines, "cfn-change-sets": cfn_change_sets,
          "cfn-updates": cfn_updates, "iam-resources": iam_resources}
print(json.dumps(CHECKS[check]()))
