// Anchor warm evaluation: the nested pattern of matchers/benches/evaluate.rs
// (objectLike holding arrayWith and stringLikeRegexp) against a ~1 MB DynamoDB
// Query response whose only matching item is the last one, evaluated N times
// in one process after warm-up, by the matching code inside integ-tests-alpha's
// Lambda handler bundle.
//
//   node bench/anchor_warm.js [N=50]        prints one JSON line (medians in ms)
//
// Env: ANCHOR_DIR (default ~/.cache/vigil/bench-anchor, see bench/install-anchor).
//
// Reaching the matcher. The bundle exports only handler / isComplete /
// onTimeout. The assertion code (class AssertionHandler, whose processEvent
// decodes `expected` with class MatchCreator into aws-cdk-lib Match objects and
// runs matcher.test(actual)) is module-private. Two ways in, both used:
//  1. Exported entry: handler() with a Custom::DeployAssert@AssertEquals event
//     ({actual, expected}). Works without CloudFormation once https.request is
//     sunk (see anchor_cold.js), but it runs the assertion twice (the second
//     time against `undefined`, because `expected` is in the properties) and
//     JSON.stringify's the 1 MB actual into console.log three times.
//  2. Module-private classes: we compile the unmodified bundle text as a
//     CommonJS module with one line appended that exports its own top-level
//     MatchCreator / AssertionHandler bindings (nothing of the bundle is copied
//     into this repo). This gives the bare matcher, the fair peer of vigil's
//     `Matcher::matches` in evaluate.rs.
// Reported (median ms per evaluation):
//  - verdict_pass_ms  prebuilt matcher: test(actual) + finished() + hasFailed()
//                     (peer of evaluate.rs "verdict, match at the last item")
//  - report_fail_ms   same matcher on the failing response + renderMismatch()
//                     (peer of "evaluate, no match (full report)")
//  - per_poll_ms      AssertionHandler.processEvent({actual, expected}): what
//                     each anchor poll runs after the SDK call (decode expected,
//                     build matchers, stringify actual for its log line, test);
//                     console.log is silenced, its arguments are still built
//  - handler_ms       path 1 above, console silenced (one full AssertEquals call)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');
const Module = require('module');

const N = Number(process.argv[2] || 50);
const WARMUP = 5;
const anchorDir = process.env.ANCHOR_DIR
  || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'vigil', 'bench-anchor');
const pkgDir = path.join(anchorDir, 'node_modules/@aws-cdk/integ-tests-alpha');
const bundlePath = path.join(pkgDir, 'lib/assertions/providers/lambda-handler.bundle/index.js');

// --- data: the same generator as query_response() in evaluate.rs -----------
function item(i, status) {
  const hex = i.toString(16).padStart(8, '0');
  const two = (x) => String(x).padStart(2, '0');
  return {
    task_id: { S: `t-${hex}` },
    user_id: { S: '3f1c2e9a-58b4-4c3e-9d51-0a7c2b6e4f10' },
    status: { S: status },
    created_at: { S: `2026-11-23T10:${two(Math.floor(i / 60) % 60)}:${two(i % 60)}Z` },
    updated_at: { S: '2026-11-23T10:59:59.123Z' },
    max_turns: { N: '50' },
    task_description: { S: 'Refactor the billing module and add tests for the new rounding rules.' },
    events: { L: [
      { M: { event_type: { S: 'task_created' }, timestamp: { S: '2026-11-23T10:00:00Z' } } },
      { M: { event_type: { S: 'hydrated' }, timestamp: { S: '2026-11-23T10:00:05Z' } } },
    ] },
  };
}
function queryResponse(targetBytes, lastStatus) {
  // serde_json sorts keys, JSON.stringify keeps insertion order: same length.
  const one = JSON.stringify(item(0, 'RUNNING')).length + 1;
  const n = Math.floor(targetBytes / one);
  const items = [];
  for (let i = 0; i < n - 1; i++) items.push(item(i, 'RUNNING'));
  items.push(item(n - 1, lastStatus));
  return { Items: items, Count: n, ScannedCount: n };
}
const pass = queryResponse(1 << 20, 'COMPLETED');
const fail = queryResponse(1 << 20, 'FAILED');
const passButLast = { ...pass, Items: pass.Items.slice(0, -1) };

// --- pattern: written with the anchor's own public API ----------------------
// integ-tests-alpha's Match (not aws-cdk-lib's) emits the wire tags
// ($ObjectLike/$ArrayWith/$StringLike) that the handler decodes; ExpectedResult
// wraps the top level and stringifies. Differences from evaluate.rs forced by
// the anchor: `"Count": {"$gte": 1}` cannot be expressed (no numeric matcher)
// and is dropped; the objects inside arrayWith must be wrapped in
// Match.objectLike explicitly, because aws-cdk-lib's arrayWith compares plain
// object elements EXACTLY (vigil: plain objects are objectLike everywhere).
const { ExpectedResult, Match } = require(pkgDir);
const expected = ExpectedResult.objectLike({
  Items: Match.arrayWith([Match.objectLike({
    status: { S: 'COMPLETED' },
    task_id: { S: Match.stringLikeRegexp('^t-[0-9a-f]{8}$') },
    created_at: { S: Match.stringLikeRegexp('^\\d{4}-\\d{2}-\\d{2}T') },
    events: { L: Match.arrayWith([Match.objectLike({ M: { event_type: { S: 'task_created' } } })]) },
  })]),
}).result; // the string that goes into the custom resource's `expected`
// The same pattern with plain objects inside arrayWith, as a user porting the
// vigil pattern literally would write it: never matches (see above).
const expectedLiteral = ExpectedResult.objectLike({
  Items: Match.arrayWith([{
    status: { S: 'COMPLETED' },
    task_id: { S: Match.stringLikeRegexp('^t-[0-9a-f]{8}$') },
  }]),
}).result;

// --- load the bundle, with its private classes reachable (way 2) ------------
const src = fs.readFileSync(bundlePath, 'utf8')
  + '\n;module.exports.__bench = { MatchCreator, AssertionHandler };\n';
const mod = new Module(bundlePath, module);
mod.filename = bundlePath;
mod.paths = Module._nodeModulePaths(path.dirname(bundlePath));
mod._compile(src, bundlePath);
const bundle = mod.exports;
const { MatchCreator, AssertionHandler } = bundle.__bench;

// --- harness ----------------------------------------------------------------
const quiet = () => {};
const realLog = console.log;
function silenced(fn) { console.log = console.info = quiet; try { return fn(); } finally { console.log = realLog; console.info = realLog; } }
async function silencedAsync(fn) { console.log = console.info = quiet; try { return await fn(); } finally { console.log = realLog; console.info = realLog; } }
function median(xs) { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; }
function bench(fn) {
  for (let i = 0; i < WARMUP; i++) fn();
  const t = [];
  for (let i = 0; i < N; i++) { const a = process.hrtime.bigint(); fn(); t.push(Number(process.hrtime.bigint() - a) / 1e6); }
  return +median(t).toFixed(3);
}
async function benchAsync(fn) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const t = [];
  for (let i = 0; i < N; i++) { const a = process.hrtime.bigint(); await fn(); t.push(Number(process.hrtime.bigint() - a) / 1e6); }
  return +median(t).toFixed(3);
}

// MatchCreator takes the decoded `expected` (processEvent JSON.parses it first).
const matcher = new MatchCreator(JSON.parse(expected)).getMatcher();
const verdict = (m, actual) => { const r = m.test(actual); r.finished(); return !r.hasFailed(); };
const literalMatcher = new MatchCreator(JSON.parse(expectedLiteral)).getMatcher();
// processEvent does not touch `this` beyond the prototype; skip the
// constructor, which would arm a Lambda-timeout timer. It is declared async
// but never awaits, so timing the call times all of its work.
const handlerObj = Object.create(AssertionHandler.prototype);
const perPoll = (actual) => handlerObj.processEvent({ actual, expected });

// Way 1: the exported handler with an AssertEquals event; verdict captured
// from the CloudFormation response body.
let lastCfn;
https.request = (_o, cb) => { let b = ''; return { on() { return this; }, write(c) { b += c; }, end() { lastCfn = JSON.parse(b); if (cb) cb({ statusCode: 200 }); } }; };
const assertEqualsEvent = (actual) => ({
  RequestType: 'Create', ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f',
  ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/bench',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/bench/x', RequestId: 'r', LogicalResourceId: 'AssertEquals',
  ResourceType: 'Custom::DeployAssert@AssertEquals',
  ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f', actual: JSON.stringify(actual), expected },
});
const ctx = { getRemainingTimeInMillis: () => 120000, logStreamName: 'bench' };
const viaHandler = async (actual) => { await bundle.handler(assertEqualsEvent(actual), ctx); return JSON.parse(lastCfn.Data.assertion).status === 'success'; };

(async () => {
  // Correctness first: the anchor must find the match only in the last item.
  const checks = {
    pass_matches: verdict(matcher, pass),
    fail_rejected: !verdict(matcher, fail),
    pass_without_last_item_rejected: !verdict(matcher, passButLast),
    per_poll_pass: !(await silencedAsync(() => perPoll(pass))).failed,
    per_poll_fail_rejected: !!(await silencedAsync(() => perPoll(fail))).failed,
    handler_pass: await silencedAsync(() => viaHandler(pass)),
    handler_fail_rejected: !(await silencedAsync(() => viaHandler(fail))),
    literal_objects_in_arrayWith_match: verdict(literalMatcher, pass), // expected false
  };
  const failReport = (() => { const r = matcher.test(fail); r.finished(); return r.renderMismatch(); })();
  const results = {
    side: 'anchor',
    bytes: JSON.stringify(pass).length,
    items: pass.Count,
    n: N,
    warmup: WARMUP,
    expected_wire: JSON.parse(expected),
    checks,
    fail_report_chars: failReport.length,
    verdict_pass_ms: bench(() => verdict(matcher, pass)),
    report_fail_ms: bench(() => { const r = matcher.test(fail); r.finished(); return r.hasFailed() && r.renderMismatch(); }),
    per_poll_ms: silenced(() => bench(() => perPoll(pass))),
    handler_ms: await silencedAsync(() => benchAsync(() => viaHandler(pass))),
    peak_rss_kb: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(results) + '\n');
})();
