// Tests of the stand-ins' own behaviour (node --test), with fake Lambda
// functions and a fake token verifier: what API Gateway answers itself,
// the route table, the REQUEST authorizer's policy, the proxy event, and
// the GitHub double's answers. ABCA's code itself runs in the end-to-end
// test (deployer/tests/task_lifecycle_on_moto.rs).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { startApiGateway } from './api-gateway.mjs';
import { startGitHubDouble } from './github-double.mjs';
import { match, ROUTES } from './routes.mjs';

const CLAIMS = { sub: 'u-1', token_use: 'id', email_verified: true, exp: 1796218229, 'cognito:groups': ['a', 'b'] };

/** A fake Lambda function that records events and answers `answer`. */
function fn(answer) {
  const seen = [];
  return {
    seen,
    invoke: async (event) => {
      seen.push(event);
      return typeof answer === 'function' ? answer(event) : answer;
    },
  };
}

async function gateway(functions) {
  const cognito = { verify: async (t) => { if (t === 'good-id-token') return CLAIMS; throw new Error('bad'); } };
  const api = await startApiGateway({ functions, cognito, region: 'us-east-1', accountId: '123456789012', apiId: 'api1', recordCredentials: null });
  const base = `http://127.0.0.1:${api.port}`;
  const call = async (method, path, headers = {}, body) => {
    const r = await fetch(base + path, { method, headers, body });
    const text = await r.text();
    let json;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: r.status, headers: r.headers, body: json };
  };
  return { call, close: () => api.server.close() };
}

const ok = { result: { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"data":{}}' } };

test('every route of task-api.ts is in the table, and literal resources win over parameters', () => {
  assert.equal(ROUTES.length, 20);
  assert.deepEqual(match('POST', ['webhooks', 'tasks']).route[2], 'WebhookCreateTaskFn');
  assert.deepEqual(match('DELETE', ['webhooks', 'tasks']), { resource: '/webhooks/tasks' });
  assert.equal(match('DELETE', ['webhooks', 'w-1']).pathParameters.webhook_id, 'w-1');
  assert.equal(match('GET', ['tasks', '']), null, 'an empty path parameter matches nothing');
  assert.deepEqual(match('PATCH', ['tasks']), { resource: '/tasks' });
});

test("API Gateway's own answers: missing token, bad token, Bearer, unknown paths, other stages", async () => {
  const getTask = fn(ok);
  const g = await gateway({ GetTaskFn: getTask, CreateTaskFn: fn(ok) });
  try {
    const unauthorized = { message: 'Unauthorized' };
    assert.deepEqual((await g.call('GET', '/v1/tasks/t-1')).body, unauthorized);
    assert.equal((await g.call('GET', '/v1/tasks/t-1')).status, 401);
    assert.equal((await g.call('GET', '/v1/tasks/t-1', { Authorization: 'nope' })).status, 401);
    // ABCA's clients send the raw token; a Bearer prefix is refused here.
    assert.equal((await g.call('GET', '/v1/tasks/t-1', { Authorization: 'Bearer good-id-token' })).status, 401);
    const missing = { message: 'Missing Authentication Token' };
    for (const path of ['/v1//tasks', '/v2/tasks', '/tasks', '/v1/nothing', '/v1']) {
      const r = await g.call('GET', path, { Authorization: 'good-id-token' });
      assert.deepEqual([r.status, r.body], [403, missing], path);
    }
    const r = await g.call('PATCH', '/v1/tasks', { Authorization: 'good-id-token' });
    assert.deepEqual([r.status, r.body], [403, missing]);
    assert.equal(getTask.seen.length, 0, 'no refused request reaches a handler');
  } finally {
    g.close();
  }
});

test('the proxy event a handler gets: path, parameters, headers as sent, claims as strings', async () => {
  const getTask = fn(ok);
  const g = await gateway({ GetTaskFn: getTask });
  try {
    const r = await g.call('GET', '/v1/tasks/t%2D1?desc=true&desc=1', { Authorization: 'good-id-token', 'X-Custom-Case': 'v' });
    assert.equal(r.status, 200);
    const e = getTask.seen[0];
    assert.equal(e.resource, '/tasks/{task_id}');
    assert.equal(e.path, '/tasks/t%2D1');
    assert.deepEqual(e.pathParameters, { task_id: 't-1' });
    assert.deepEqual(e.queryStringParameters, { desc: '1' });
    assert.deepEqual(e.multiValueQueryStringParameters, { desc: ['true', '1'] });
    assert.equal(e.headers['X-Custom-Case'], 'v');
    assert.equal(e.requestContext.stage, 'v1');
    assert.equal(e.requestContext.path, '/v1/tasks/t%2D1');
    assert.equal(e.requestContext.identity.sourceIp, '127.0.0.1');
    const claims = e.requestContext.authorizer.claims;
    assert.equal(claims.sub, 'u-1');
    assert.equal(claims.email_verified, 'true');
    assert.equal(claims['cognito:groups'], 'a,b');
    assert.match(claims.exp, /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}$/);
    assert.ok(r.headers.get('x-amzn-requestid'));
  } finally {
    g.close();
  }
});

test('a REQUEST authorizer: Allow passes its context on, Deny is 403, a failure is 500', async () => {
  const verdicts = { allow: 'Allow', deny: 'Deny' };
  const authorizer = fn((event) => {
    const key = event.headers['X-API-Key'];
    if (key === 'boom') return { error: { errorType: 'Error', errorMessage: 'boom' } };
    return {
      result: {
        principalId: 'u-2',
        policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: verdicts[key] ?? 'Deny', Resource: event.methodArn }] },
        context: { userId: 'u-2', keyId: 'k-1' },
      },
    };
  });
  const list = fn(ok);
  const g = await gateway({ ApiKeyAuthorizerFn: authorizer, ListWebhooksFn: list });
  try {
    assert.equal((await g.call('GET', '/v1/webhooks', { 'X-API-Key': 'allow' })).status, 200);
    assert.equal(authorizer.seen[0].methodArn, 'arn:aws:execute-api:us-east-1:123456789012:api1/v1/GET/webhooks');
    assert.equal(authorizer.seen[0].type, 'REQUEST');
    assert.deepEqual(
      { userId: list.seen[0].requestContext.authorizer.userId, principalId: list.seen[0].requestContext.authorizer.principalId },
      { userId: 'u-2', principalId: 'u-2' },
    );
    const denied = await g.call('GET', '/v1/webhooks', { 'X-API-Key': 'deny' });
    assert.deepEqual([denied.status, denied.body], [403, { message: 'User is not authorized to access this resource with an explicit deny' }]);
    assert.equal((await g.call('GET', '/v1/webhooks', { 'X-API-Key': 'boom' })).status, 500);
    assert.equal(list.seen.length, 1);
  } finally {
    g.close();
  }
});

test('a handler that fails, times out or answers nonsense is 502; an unvendored route is 501', async () => {
  const g = await gateway({
    GetTaskFn: fn({ error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds' } }),
    ListTasksFn: fn({ result: { body: 'no status code' } }),
  });
  try {
    const auth = { Authorization: 'good-id-token' };
    for (const path of ['/v1/tasks/t-1', '/v1/tasks']) {
      const r = await g.call('GET', path, auth);
      assert.deepEqual([r.status, r.body], [502, { message: 'Internal server error' }], path);
    }
    const r = await g.call('GET', '/v1/tasks/t-1/replay', auth);
    assert.equal(r.status, 501);
    assert.match(r.body.message, /get-task-replay\.ts\) is not in the vendored ABCA subset/);
  } finally {
    g.close();
  }
});

test('the GitHub double answers like api.github.com', async () => {
  const { server, url } = await startGitHubDouble({ tokens: ['good'], repos: { 'o/r': { push: true }, 'o/ro': { push: false } } });
  const get = async (path, token, init = {}) => {
    const r = await fetch(url + path, { ...init, headers: token ? { Authorization: token } : {} });
    return [r.status, await r.json()];
  };
  try {
    assert.equal((await get('/rate_limit', 'token good'))[0], 200);
    assert.deepEqual(await get('/rate_limit', 'token bad'), [401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }]);
    const [status, repo] = await get('/repos/o/r', 'Bearer good');
    assert.equal(status, 200);
    assert.equal(repo.permissions.push, true);
    assert.equal((await get('/repos/o/ro', 'token good'))[1].permissions.push, false);
    assert.equal((await get('/repos/o/missing', 'token good'))[0], 404);
    assert.equal((await get('/repos/o/r', null))[0], 404, 'a private repository is invisible without a token');
    const [, gql] = await get('/graphql', 'Bearer good', {
      method: 'POST',
      body: JSON.stringify({ variables: { owner: 'o', name: 'ro' } }),
    });
    assert.deepEqual(gql, { data: { repository: { viewerPermission: 'READ' } } });
    const [created, pr] = await get('/repos/o/r/pulls', 'token good', { method: 'POST', body: JSON.stringify({ title: 't', head: 'b', base: 'main' }) });
    assert.equal(created, 201);
    assert.equal(pr.html_url, 'https://github.com/o/r/pull/1');
    assert.equal((await get('/repos/o/ro/pulls', 'token good', { method: 'POST', body: '{}' }))[0], 403);
  } finally {
    server.close();
  }
});

test('a Lambda function: warm environments keep module state, a timeout ends one, init is not timed', async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { LambdaFunction } = await import('./lambda-pool.mjs');
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-lambda-'));
  const bundle = path.join(dir, 'handler.js');
  writeFileSync(bundle, `
    const started = Date.now(); while (Date.now() - started < 300) {}  // a slow init
    let calls = 0;
    exports.handler = async (event, context) => {
      calls += 1;
      if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
      return { calls, env: process.env.ONLY_HERE ?? null, remaining: context.getRemainingTimeInMillis() > 0 };
    };`);
  const f = new LambdaFunction({
    name: 'Fn', arn: 'arn:aws:lambda:us-east-1:1:function:Fn', bundle,
    env: { ONLY_HERE: 'yes' }, timeoutSeconds: 0.25, memoryMb: 128, redirects: {},
  });
  try {
    // The 300 ms init does not count against the 250 ms timeout.
    assert.deepEqual((await f.invoke({})).result, { calls: 1, env: 'yes', remaining: true });
    assert.deepEqual((await f.invoke({})).result.calls, 2, 'the same warm environment');
    assert.equal(process.env.ONLY_HERE, undefined, "the function's environment is its own");
    const slow = await f.invoke({ sleep: 1000 });
    assert.equal(slow.error.errorType, 'Sandbox.Timedout');
    assert.deepEqual((await f.invoke({})).result.calls, 1, 'a new environment after the timeout');
    // Two at once: two environments.
    const both = await Promise.all([f.invoke({ sleep: 50 }), f.invoke({ sleep: 50 })]);
    assert.deepEqual(both.map((b) => b.result.calls).sort(), [1, 2]);
  } finally {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
