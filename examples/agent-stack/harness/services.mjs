// The AWS service endpoints ABCA's code calls that moto does not serve,
// on one loopback port the functions reach through
// `AWS_ENDPOINT_URL_<SERVICE>`:
//
// * Lambda `Invoke` (`POST /2015-03-31/functions/{name}/invocations`):
//   create-task starts the orchestrator with InvocationType `Event`
//   (`shared/create-task-core.ts`). Answered 202 like Lambda, and the
//   durable execution starts in the orchestrator process. Only the
//   orchestrator (`OrchestratorFn`, alias `live`) can be invoked.
// * Bedrock AgentCore `InvokeAgentRuntime` (`POST /runtimes/{arn}/invocations`)
//   and `StopRuntimeSession` (`POST /runtimes/{arn}/stopruntimesession`):
//   the orchestrator's AgentCore strategy
//   (`shared/strategies/agentcore-strategy.ts`) and cancel-task. An
//   invocation starts the agent runtime stand-in (agent/runtime.py, ABCA's
//   own agent modules) with the payload; stopping a session ends it.
// * Bedrock `ApplyGuardrail` (`POST /guardrail/{id}/version/{v}/apply`):
//   AgentStack screens task descriptions with a guardrail whose only
//   filter is PROMPT_ATTACK (`stacks/agent.ts`). The stand-in has no
//   model to judge prompts with; it answers `action: NONE` (nothing
//   blocked), so the screening call and its response handling run, but a
//   prompt a real guardrail would block passes here. The Bedrock runtime
//   client speaks HTTP/2 only, so this one has its own (cleartext) HTTP/2
//   port.

import { spawn } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';

const GUARDRAIL_PATH = /^\/guardrail\/[^/]+\/version\/[^/]+\/apply$/;
const GUARDRAIL_NONE = {
  usage: { topicPolicyUnits: 0, contentPolicyUnits: 1, wordPolicyUnits: 0, sensitiveInformationPolicyUnits: 0, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 },
  action: 'NONE',
  outputs: [],
  assessments: [],
};

function json(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function awsError(res, status, type, message) {
  json(res, status, { message }, { 'x-amzn-errortype': type });
}

/**
 * @param {object} o
 * @param {string} o.orchestratorArn the alias ARN create-task invokes
 * @param {(payload: object, requestId: string) => void} o.startOrchestration
 * @param {object} o.agent {python, script, env}: how to start the agent runtime
 * @param {(line: string) => void} o.log
 */
export function startServices({ orchestratorArn, startOrchestration, agent, log }) {
  const sessions = new Map();

  function invokeFunction(req, res, name, body) {
    const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    const fn = decodeURIComponent(name);
    const qualifier = new URL(req.url, 'http://x').searchParams.get('Qualifier');
    const target = qualifier ? `${fn}:${qualifier}` : fn;
    if (target !== orchestratorArn) {
      awsError(res, 404, 'ResourceNotFoundException', `Function not found: ${target}`);
      return;
    }
    if (type !== 'Event') {
      // The orchestrator is a durable function: it is only ever started
      // asynchronously (create-task-core.ts).
      awsError(res, 400, 'InvalidParameterValueException', `vigil harness: ${target} is invoked with InvocationType Event only`);
      return;
    }
    let payload;
    try {
      payload = JSON.parse(body.toString('utf8') || 'null');
    } catch {
      awsError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      return;
    }
    const requestId = crypto.randomUUID();
    startOrchestration(payload, requestId);
    res.writeHead(202, { 'x-amzn-requestid': requestId, 'content-length': 0 });
    res.end();
  }

  function invokeRuntime(req, res, arn, body) {
    const sessionId = req.headers['x-amzn-bedrock-agentcore-runtime-session-id'];
    if (!sessionId || sessionId.length < 33) {
      awsError(res, 400, 'ValidationException', 'runtimeSessionId must be at least 33 characters');
      return;
    }
    let payload;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      awsError(res, 400, 'ValidationException', 'payload is not JSON');
      return;
    }
    const input = payload?.input ?? {};
    const child = spawn(agent.python, [agent.script], {
      env: { ...agent.env, TASK_STARTED_AT: String(input.task_started_at ?? ''), AGENTCORE_RUNTIME_ARN: decodeURIComponent(arn), AGENTCORE_SESSION_ID: sessionId },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const tag = `agent ${input.task_id ?? '?'}`;
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (c) => {
        pending += c;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) log(`[${tag}] ${line}`);
      });
    }
    child.on('exit', (code, signal) => {
      sessions.delete(sessionId);
      log(`[${tag}] exited ${signal ?? code}`);
    });
    child.stdin.end(JSON.stringify(payload));
    sessions.set(sessionId, child);
    json(res, 200, { status: 'accepted', task_id: input.task_id ?? null }, {
      'x-amzn-bedrock-agentcore-runtime-session-id': sessionId,
    });
  }

  function stopSession(req, res, body) {
    let sessionId = req.headers['x-amzn-bedrock-agentcore-runtime-session-id'];
    if (!sessionId) {
      try {
        sessionId = JSON.parse(body.toString('utf8') || '{}').runtimeSessionId;
      } catch {
        // fall through
      }
    }
    const child = sessions.get(sessionId);
    if (!child) {
      awsError(res, 404, 'ResourceNotFoundException', `Session ${sessionId} not found`);
      return;
    }
    child.kill('SIGTERM');
    json(res, 200, { runtimeSessionId: sessionId, statusCode: 200 });
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url, 'http://x').pathname;
      let m;
      if (req.method === 'POST' && (m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(path))) {
        invokeFunction(req, res, m[1], body);
      } else if (req.method === 'POST' && (m = /^\/runtimes\/(.+)\/invocations$/.exec(path))) {
        invokeRuntime(req, res, m[1], body);
      } else if (req.method === 'POST' && /^\/runtimes\/(.+)\/stopruntimesession$/.test(path)) {
        stopSession(req, res, body);
      } else {
        awsError(res, 404, 'UnknownOperationException', `vigil harness: no stand-in for ${req.method} ${path}`);
      }
    });
  });

  const bedrock = http2.createServer();
  bedrock.on('stream', (stream, headers) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const path = new URL(headers[':path'], 'http://x').pathname;
      const ok = headers[':method'] === 'POST' && GUARDRAIL_PATH.test(path);
      const body = JSON.stringify(ok ? GUARDRAIL_NONE : { message: `vigil harness: no stand-in for ${headers[':method']} ${path}` });
      stream.respond({
        ':status': ok ? 200 : 404,
        'content-type': 'application/json',
        ...(ok ? {} : { 'x-amzn-errortype': 'UnknownOperationException' }),
      });
      stream.end(body);
    });
  });

  const listen = (srv) => new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv.address().port)));
  return Promise.all([listen(server), listen(bedrock)]).then(([port, bedrockPort]) => ({
    server,
    bedrock,
    url: `http://127.0.0.1:${port}`,
    bedrockUrl: `http://127.0.0.1:${bedrockPort}`,
    stopAll: () => { for (const child of sessions.values()) child.kill('SIGTERM'); },
    sessions,
  }));
}
