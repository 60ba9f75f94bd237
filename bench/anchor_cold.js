// Anchor cold start: ONE process = load integ-tests-alpha's Lambda handler
// bundle, run ONE DynamoDB GetItem assertion against a local endpoint, report
// the verdict, exit. Run it under bench/coldstart.py, which times process
// start -> verdict line from outside and reads the peak RSS with wait4().
//
//   AWS_ENDPOINT_URL=http://127.0.0.1:PORT node bench/anchor_cold.js
//
// Env: ANCHOR_DIR (default ~/.cache/vigil/bench-anchor, see bench/install-anchor),
//      ANCHOR_ENTRY = isComplete (default) | handler,
//      BENCH_TABLE (Tasks), BENCH_TASK_ID (t-1), BENCH_STATUS (COMPLETED).
//
// Which entry point and why:
//  - `isComplete` is what the waitForAssertions state machine invokes directly:
//    it makes the SDK call, tests the assertion, and on failure THROWS (the
//    state machine's Retry sees the error), on success PUTs a CloudFormation
//    response to event.ResponseURL. No state machine / CloudFormation needed.
//  - `handler` is the plain custom-resource path (no waiter): SDK call, then
//    assertion, then PUT to ResponseURL in every case (verdict in Data.assertion).
// Both hand the verdict to CloudFormation with https.request(ResponseURL); the
// URL's port is ignored by the bundle (always 443), so it cannot be pointed at a
// local server. We replace https.request by an in-process sink that captures the
// body: the only shim, and it removes a network round trip the anchor pays in
// the cloud (it favours the anchor).
//
// The SDK client: the bundle does require(`@aws-sdk/client-${service}`) at call
// time (the Lambda runtime provides it in the cloud); node resolves it from
// ANCHOR_DIR/node_modules because the bundle lives there. @aws-sdk v3 honours
// AWS_ENDPOINT_URL (verified: the request reaches moto).
'use strict';
const tScript = performance.now();
let tBundle = NaN;
const path = require('path');
const https = require('https');

const marker = '@@RESULT ';
function report(verdict, detail) {
  const out = {
    side: 'anchor',
    entry,
    verdict, // "pass" | "fail" | "error"
    // performance.now() counts from the process's time origin (process start).
    ms_since_process_start: +performance.now().toFixed(3),
    // phases, ms since process start: node ready to run this script, bundle loaded
    ms_script_start: +tScript.toFixed(3),
    ms_bundle_loaded: +tBundle.toFixed(3),
    self_peak_rss_kb: process.resourceUsage().maxRSS, // getrusage ru_maxrss, KB
    detail,
  };
  process.stdout.write(marker + JSON.stringify(out) + '\n');
  process.exit(verdict === 'error' ? 2 : 0);
}

// The sink for the CloudFormation response (see above).
https.request = (_opts, onResponse) => {
  let body = '';
  return {
    on() { return this; },
    write(chunk) { body += chunk; },
    end() {
      const cfn = JSON.parse(body);
      const assertion = cfn.Data && cfn.Data.assertion ? JSON.parse(cfn.Data.assertion) : undefined;
      const ok = cfn.Status === 'SUCCESS' && (!assertion || assertion.status === 'success');
      if (onResponse) onResponse({ statusCode: 200 });
      report(ok ? 'pass' : 'fail', { Status: cfn.Status, Reason: cfn.Reason, assertion });
    },
  };
};

const entry = process.env.ANCHOR_ENTRY || 'isComplete';
const anchorDir = process.env.ANCHOR_DIR
  || path.join(process.env.XDG_CACHE_HOME || path.join(require('os').homedir(), '.cache'), 'vigil', 'bench-anchor');
process.env.AWS_REGION ||= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ||= 'testing';
process.env.AWS_SECRET_ACCESS_KEY ||= 'testing';
if (!process.env.AWS_ENDPOINT_URL) {
  process.stderr.write('anchor_cold: set AWS_ENDPOINT_URL to the local DynamoDB endpoint\n');
  process.exit(2);
}

const table = process.env.BENCH_TABLE || 'Tasks';
const taskId = process.env.BENCH_TASK_ID || 't-1';
const status = process.env.BENCH_STATUS || 'COMPLETED';

// The event CloudFormation would send for
//   integ.assertions.awsApiCall('DynamoDB', 'getItem', {TableName, Key})
//     .expect(ExpectedResult.objectLike({Item: {task_id: {S}, status: {S}}}))
// with the properties exactly as the construct encodes them (parameters are
// JSON.stringify'd one by one; expected is the ExpectedResult's `result` string).
const event = {
  RequestType: 'Create',
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:SingletonFunction',
  ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/bench',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/bench/00000000-0000-0000-0000-000000000000',
  RequestId: '00000000-0000-0000-0000-000000000001',
  LogicalResourceId: 'AwsApiCallDynamoDBgetItem',
  ResourceType: 'Custom::DeployAssert@SdkCallDynamoDBgetItem',
  ResourceProperties: {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:SingletonFunction',
    service: 'DynamoDB',
    api: 'getItem',
    expected: JSON.stringify({ $ObjectLike: { Item: { task_id: { S: taskId }, status: { S: status } } } }),
    parameters: { TableName: JSON.stringify(table), Key: JSON.stringify({ task_id: { S: taskId } }) },
    flattenResponse: 'false',
    salt: '1',
  },
};
// A Lambda context: the handler arms a timer at getRemainingTimeInMillis()-1200
// (function timeout 2 min in the construct) and clears it when done.
const context = { getRemainingTimeInMillis: () => 120000, logStreamName: 'bench' };

const bundle = require(path.join(anchorDir, 'node_modules/@aws-cdk/integ-tests-alpha/lib/assertions/providers/lambda-handler.bundle/index.js'));
tBundle = performance.now();
bundle[entry](event, context).then(
  () => report('error', 'returned without responding'),
  // isComplete throws (the state machine retries) when the assertion fails or
  // the call fails: that is the anchor's "not yet / failed" verdict.
  (e) => report('fail', { thrown: String(e && e.message).slice(0, 300) }),
);
