// Writes a plain-JS CDK integ-tests app with STEPS DynamoDB GetItem assertions
// chained with .next(), waitForAssertions() on every WAIT_EVERY-th step: the
// anchor's version of a STEPS-step vigil suite. The app goes to OUT_DIR (a
// temp dir, never the repo); OUT_DIR/node_modules is a symlink to the anchor
// install so `require('aws-cdk-lib')` resolves without copying anything.
//
//   node bench/gen_cdk_app.js OUT_DIR [STEPS=50] [WAIT_EVERY=5]
//
// Env: ANCHOR_DIR (default ~/.cache/vigil/bench-anchor, see bench/install-anchor).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const [outDir, steps = '50', waitEvery = '5'] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node bench/gen_cdk_app.js OUT_DIR [STEPS] [WAIT_EVERY]');
  process.exit(2);
}
const anchorDir = process.env.ANCHOR_DIR
  || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'vigil', 'bench-anchor');

// Step i reads task t-<i> and expects it COMPLETED; distinct keys also keep the
// construct ids distinct (awsApiCall derives its id from a hash of the params).
// Every WAIT_EVERY-th step polls (defaults: totalTimeout 30 min, interval 5 s,
// backoffRate 1), the others assert once.
const app = `'use strict';
const cdk = require('aws-cdk-lib');
const { IntegTest, ExpectedResult } = require('@aws-cdk/integ-tests-alpha');

const STEPS = ${Number(steps)};
const WAIT_EVERY = ${Number(waitEvery)};
const app = new cdk.App();
// The stack under test: the table the assertions read.
const stack = new cdk.Stack(app, 'VigilBenchStack');
new cdk.aws_dynamodb.Table(stack, 'Tasks', {
  tableName: 'Tasks',
  partitionKey: { name: 'task_id', type: cdk.aws_dynamodb.AttributeType.STRING },
  billingMode: cdk.aws_dynamodb.BillingMode.PAY_PER_REQUEST,
  removalPolicy: cdk.RemovalPolicy.DESTROY,
});
const integ = new IntegTest(app, 'VigilBench', { testCases: [stack] });

let prev;
for (let i = 1; i <= STEPS; i++) {
  const call = integ.assertions
    .awsApiCall('DynamoDB', 'getItem', { TableName: 'Tasks', Key: { task_id: { S: 't-' + i } } })
    .expect(ExpectedResult.objectLike({ Item: { task_id: { S: 't-' + i }, status: { S: 'COMPLETED' } } }));
  if (WAIT_EVERY > 0 && i % WAIT_EVERY === 0) call.waitForAssertions();
  if (prev) prev.next(call);
  prev = call;
}
app.synth();
`;

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'app.js'), app);
fs.writeFileSync(path.join(outDir, 'cdk.json'), JSON.stringify({ app: 'node app.js' }, null, 2) + '\n');
const link = path.join(outDir, 'node_modules');
if (!fs.existsSync(link)) fs.symlinkSync(path.join(anchorDir, 'node_modules'), link);
console.log(outDir);
