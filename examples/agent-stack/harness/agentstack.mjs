// AgentStack on one machine: ABCA's real Task API handlers, its durable
// orchestrator and its agent modules, on 127.0.0.1, against moto. What this
// process provides around them, each part documented in its module:
//
//   api-gateway.mjs   the REST API `TaskApi` (stage v1, routes, authorizers)
//   lambda-pool.mjs   each handler as a Lambda function (warm environments)
//   orchestrator.mjs  the durable orchestrator (a child process)
//   services.mjs      Lambda Invoke, AgentCore runtime, Bedrock guardrail
//   github-double.mjs api.github.com
//   ../agent/runtime.py the AgentCore runtime: ABCA's agent modules
//
// usage: node agentstack.mjs CONFIG.json
// CONFIG (written by ../agentstack.py): abcaDir, npmPrefix, cacheDir,
// region, accountId, awsEndpoint, credentials, apiPort, apiId, outputs (the
// stack's resources by output name), github {tokens, repos}, agent {python,
// script}, recordCredentials.
// Prints one line `{"ready": {...}}` on stdout when every part listens, and
// stops everything it started on SIGTERM or SIGINT.

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startApiGateway } from './api-gateway.mjs';
import { bundleHandlers } from './bundle.mjs';
import { startGitHubDouble } from './github-double.mjs';
import { LambdaFunction } from './lambda-pool.mjs';
import { DEFAULT_TIMEOUT, HANDLER_FILES, TIMEOUTS } from './routes.mjs';
import { startServices } from './services.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = config.outputs;
const log = (line) => process.stdout.write(`${line}\n`);

// --- bundles ---
const entries = [...new Set(Object.values(HANDLER_FILES))];
const started = Date.now();
const { bundles, key } = await bundleHandlers({
  abcaDir: config.abcaDir,
  npmPrefix: config.npmPrefix,
  cacheDir: path.join(config.cacheDir, 'bundles'),
  entries,
});
log(`[harness] ${entries.length} ABCA handlers bundled (${key}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// --- stand-ins the functions call ---
const github = await startGitHubDouble(config.github, (line) => log(`[github] ${line}`));
const functionArn = (name) => `arn:aws:lambda:${config.region}:${config.accountId}:function:${config.stackName}-${name}`;
const orchestratorArn = `${functionArn('OrchestratorFn')}:live`;

let orchestrator;
const orchestrations = new Map();
const services = await startServices({
  orchestratorArn,
  startOrchestration: (payload, requestId) => {
    orchestrations.set(requestId, { payload, started: Date.now() });
    orchestrator.send({ invoke: { requestId, payload } });
  },
  agent: {
    python: config.agent.python,
    script: config.agent.script,
    env: {
      PATH: process.env.PATH,
      ...config.credentials,
      AWS_REGION: config.region,
      AWS_DEFAULT_REGION: config.region,
      AWS_ENDPOINT_URL: config.awsEndpoint,
      PYTHONPATH: path.join(config.abcaDir, 'agent', 'src'),
      PYTHONUNBUFFERED: '1',
      VIGIL_GITHUB_URL: github.url,
      // The runtime's environment in AgentStack (stacks/agent.ts
      // `runtimeEnvironmentVariables`), without the parts nothing here
      // reads or that are not emulated (AGENT_SESSION_ROLE_ARN: per-task
      // session role; MEMORY_ID: AgentCore Memory; the Claude CLI's own).
      GITHUB_TOKEN_SECRET_ARN: out.GitHubTokenSecretArn,
      TASK_TABLE_NAME: out.TaskTableName,
      TASK_EVENTS_TABLE_NAME: out.TaskEventsTableName,
      TASK_APPROVALS_TABLE_NAME: out.TaskApprovalsTableName,
      USER_CONCURRENCY_TABLE_NAME: out.UserConcurrencyTableName,
      TRACE_ARTIFACTS_BUCKET_NAME: out.TraceArtifactsBucketName,
      ARTIFACTS_BUCKET_NAME: out.TraceArtifactsBucketName,
      AGENTCORE_MAX_LIFETIME_S: '28800',
      MAX_TURNS: '100',
    },
  },
  log,
});

// --- every function's environment (task-api.ts, task-orchestrator.ts) ---
const base = {
  PATH: process.env.PATH,
  ...config.credentials,
  AWS_REGION: config.region,
  AWS_DEFAULT_REGION: config.region,
  AWS_ENDPOINT_URL: config.awsEndpoint,
  AWS_ENDPOINT_URL_LAMBDA: services.url,
  AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: services.url,
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: services.bedrockUrl,
  NODE_OPTIONS: '--enable-source-maps',
};
const commonEnv = {
  TASK_TABLE_NAME: out.TaskTableName,
  TASK_EVENTS_TABLE_NAME: out.TaskEventsTableName,
  TASK_RETENTION_DAYS: '90',
  ABCA_COMPONENT: 'api',
};
const createTaskEnv = {
  ...commonEnv,
  REPO_TABLE_NAME: out.RepoTableName,
  ORCHESTRATOR_FUNCTION_ARN: orchestratorArn,
  GUARDRAIL_ID: config.guardrail.id,
  GUARDRAIL_VERSION: config.guardrail.version,
  ATTACHMENTS_BUCKET_NAME: config.attachmentsBucket,
};
const approvalEnv = { ...commonEnv, TASK_APPROVALS_TABLE_NAME: out.TaskApprovalsTableName };
const apiKeyEnv = { API_KEY_TABLE_NAME: out.ApiKeyTableName, API_KEY_RETENTION_DAYS: '30', ABCA_COMPONENT: 'api' };
const webhookEnv = { WEBHOOK_TABLE_NAME: out.WebhookTableName, WEBHOOK_RETENTION_DAYS: '30', ABCA_COMPONENT: 'webhook' };
const environments = {
  CreateTaskFn: createTaskEnv,
  GetTaskFn: { ...commonEnv, MAX_CONCURRENT_TASKS_PER_USER: '10' },
  ListTasksFn: commonEnv,
  CancelTaskFn: { ...commonEnv, RUNTIME_ARN: out.RuntimeArn },
  GetTaskEventsFn: commonEnv,
  ApproveTaskFn: approvalEnv,
  DenyTaskFn: approvalEnv,
  GetPendingFn: approvalEnv,
  CreateApiKeyFn: apiKeyEnv,
  ListApiKeysFn: apiKeyEnv,
  DeleteApiKeyFn: apiKeyEnv,
  ApiKeyAuthorizerFn: {
    API_KEY_TABLE_NAME: out.ApiKeyTableName,
    API_KEY_REQUIRED_SCOPE: 'webhooks:manage',
    USER_POOL_ID: out.UserPoolId,
    APP_CLIENT_ID: out.AppClientId,
    ABCA_COMPONENT: 'api',
  },
  CreateWebhookFn: webhookEnv,
  ListWebhooksFn: webhookEnv,
  DeleteWebhookFn: webhookEnv,
  WebhookAuthorizerFn: webhookEnv,
  WebhookCreateTaskFn: { ...createTaskEnv, ABCA_COMPONENT: 'webhook' },
};
const orchestratorEnv = {
  ...base,
  ABCA_COMPONENT: 'orchestr',
  TASK_TABLE_NAME: out.TaskTableName,
  TASK_EVENTS_TABLE_NAME: out.TaskEventsTableName,
  USER_CONCURRENCY_TABLE_NAME: out.UserConcurrencyTableName,
  RUNTIME_ARN: out.RuntimeArn,
  MAX_CONCURRENT_TASKS_PER_USER: '10',
  TASK_RETENTION_DAYS: '90',
  REPO_TABLE_NAME: out.RepoTableName,
  GITHUB_TOKEN_SECRET_ARN: out.GitHubTokenSecretArn,
  GUARDRAIL_ID: config.guardrail.id,
  GUARDRAIL_VERSION: config.guardrail.version,
  ATTACHMENTS_BUCKET_NAME: config.attachmentsBucket,
  VIGIL_GITHUB_URL: github.url,
};

const redirects = { githubUrl: github.url, awsEndpoint: config.awsEndpoint };
const functions = {};
for (const [name, env] of Object.entries(environments)) {
  functions[name] = new LambdaFunction({
    name,
    arn: functionArn(name),
    bundle: bundles[HANDLER_FILES[name]],
    env: { ...base, ...env, AWS_LAMBDA_FUNCTION_NAME: `${config.stackName}-${name}` },
    timeoutSeconds: TIMEOUTS[name] ?? DEFAULT_TIMEOUT,
    memoryMb: 256,
    redirects,
  });
}

// --- the orchestrator process ---
orchestrator = fork(path.join(here, 'orchestrator.mjs'), [bundles['orchestrate-task'], config.npmPrefix], {
  env: orchestratorEnv,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
await new Promise((resolve, reject) => {
  orchestrator.once('message', (m) => (m?.ready ? resolve() : reject(new Error(`orchestrator: ${JSON.stringify(m)}`))));
  orchestrator.once('exit', (code) => reject(new Error(`the orchestrator process exited (${code}) before it was ready`)));
});
orchestrator.on('message', (m) => {
  if (m?.done) {
    orchestrations.delete(m.done.requestId);
    log(`[harness] orchestration ${JSON.stringify(m.done)}`);
  }
});
orchestrator.on('exit', (code, signal) => {
  if (!stopping) {
    log(`[harness] the orchestrator process died (${signal ?? code}); stopping`);
    stop(1);
  }
});

// --- API Gateway with the Cognito authorizer ---
const require = createRequire(path.join(config.npmPrefix, 'package.json'));
const { CognitoJwtVerifier } = require('aws-jwt-verify');
const verifier = CognitoJwtVerifier.create({ userPoolId: out.UserPoolId, tokenUse: 'id', clientId: null });
const jwks = await (await fetch(new URL(`/${out.UserPoolId}/.well-known/jwks.json`, config.awsEndpoint))).json();
verifier.cacheJwks(jwks);
const cognito = {
  // The raw token only: a `Bearer ` prefix makes it no JWT and is refused.
  verify: (token) => verifier.verify(token),
};
const api = await startApiGateway({
  functions,
  cognito,
  region: config.region,
  accountId: config.accountId,
  apiId: config.apiId,
  recordCredentials: config.recordCredentials,
  port: config.apiPort,
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  services.stopAll();
  orchestrator.kill('SIGTERM');
  await Promise.all(Object.values(functions).map((f) => f.close()));
  for (const s of [api.server, services.server, services.bedrock, github.server]) s.close();
  process.exit(code);
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));

log(JSON.stringify({
  ready: {
    apiUrl: `http://127.0.0.1:${api.port}/v1/`,
    servicesUrl: services.url,
    githubUrl: github.url,
    orchestratorArn,
  },
}));
