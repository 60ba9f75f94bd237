// The REST API `TaskApi` as AgentStack deploys it: stage `v1`, the resource
// tree and methods of ABCA's `cdk/src/constructs/task-api.ts`, each method's
// authorizer and the Lambda function behind it. Every route AgentStack
// creates is listed, also those whose handler is not in the vendored subset
// (`handler: null`): the stand-in answers them 501 and says why, instead of
// pretending the route does not exist.

/** The stage name (`task-api.ts`: `props.stageName ?? 'v1'`). */
export const STAGE = 'v1';

// Authorizers (task-api.ts). COGNITO: `CognitoUserPoolsAuthorizer` with no
// authorization scopes, identity source `Authorization`. API_KEY_OR_JWT:
// `RequestAuthorizer` on `api-key-authorizer.ts`, `identitySources: []`,
// `resultsCacheTtl: 0`. WEBHOOK_HMAC: `RequestAuthorizer` on
// `webhook-authorizer.ts`, identity sources X-Webhook-Id and
// X-Webhook-Signature, no cache.
export const COGNITO = { kind: 'cognito' };
export const API_KEY_OR_JWT = { kind: 'request', fn: 'ApiKeyAuthorizerFn', identitySources: [] };
export const WEBHOOK_HMAC = {
  kind: 'request',
  fn: 'WebhookAuthorizerFn',
  identitySources: ['X-Webhook-Id', 'X-Webhook-Signature'],
};

/**
 * [method, resource path, function name or null, authorizer]. Function
 * names are the construct ids of task-api.ts.
 */
export const ROUTES = [
  ['POST', '/tasks', 'CreateTaskFn', COGNITO],
  ['GET', '/tasks', 'ListTasksFn', COGNITO],
  ['GET', '/tasks/{task_id}', 'GetTaskFn', COGNITO],
  ['DELETE', '/tasks/{task_id}', 'CancelTaskFn', COGNITO],
  ['GET', '/tasks/{task_id}/events', 'GetTaskEventsFn', COGNITO],
  ['GET', '/tasks/{task_id}/replay', null, COGNITO],
  ['POST', '/tasks/{task_id}/confirm-uploads', null, COGNITO],
  ['GET', '/tasks/{task_id}/trace', null, COGNITO],
  ['POST', '/tasks/{task_id}/nudge', null, COGNITO],
  ['POST', '/tasks/{task_id}/approve', 'ApproveTaskFn', COGNITO],
  ['POST', '/tasks/{task_id}/deny', 'DenyTaskFn', COGNITO],
  ['GET', '/pending', 'GetPendingFn', COGNITO],
  ['GET', '/repos/{repo_id}/policies', null, COGNITO],
  ['POST', '/api-keys', 'CreateApiKeyFn', COGNITO],
  ['GET', '/api-keys', 'ListApiKeysFn', COGNITO],
  ['DELETE', '/api-keys/{key_id}', 'DeleteApiKeyFn', COGNITO],
  ['POST', '/webhooks', 'CreateWebhookFn', API_KEY_OR_JWT],
  ['GET', '/webhooks', 'ListWebhooksFn', API_KEY_OR_JWT],
  ['DELETE', '/webhooks/{webhook_id}', 'DeleteWebhookFn', API_KEY_OR_JWT],
  ['POST', '/webhooks/tasks', 'WebhookCreateTaskFn', WEBHOOK_HMAC],
];

/** The handler file (under `cdk/src/handlers/`) of each function. */
export const HANDLER_FILES = {
  CreateTaskFn: 'create-task',
  ListTasksFn: 'list-tasks',
  GetTaskFn: 'get-task',
  CancelTaskFn: 'cancel-task',
  GetTaskEventsFn: 'get-task-events',
  ApproveTaskFn: 'approve-task',
  DenyTaskFn: 'deny-task',
  GetPendingFn: 'get-pending',
  CreateApiKeyFn: 'create-api-key',
  ListApiKeysFn: 'list-api-keys',
  DeleteApiKeyFn: 'delete-api-key',
  ApiKeyAuthorizerFn: 'api-key-authorizer',
  CreateWebhookFn: 'create-webhook',
  ListWebhooksFn: 'list-webhooks',
  DeleteWebhookFn: 'delete-webhook',
  WebhookAuthorizerFn: 'webhook-authorizer',
  WebhookCreateTaskFn: 'webhook-create-task',
  OrchestratorFn: 'orchestrate-task',
};

/** Handlers named by task-api.ts routes that the vendored subset lacks. */
export const NOT_VENDORED = {
  '/tasks/{task_id}/replay': 'get-task-replay.ts',
  '/tasks/{task_id}/confirm-uploads': 'confirm-uploads.ts',
  '/tasks/{task_id}/trace': 'get-trace-url.ts',
  '/tasks/{task_id}/nudge': 'nudge-task.ts',
  '/repos/{repo_id}/policies': 'get-policies.ts',
};

/**
 * Each function's timeout in seconds (task-api.ts: API_HANDLER_TIMEOUT_SECONDS
 * = 15 for create/cancel/approve/deny and the webhook task creation, 10 for
 * get-pending, the Lambda default of 3 for the others;
 * task-orchestrator.ts: 60 for the orchestrator).
 */
export const TIMEOUTS = {
  CreateTaskFn: 15,
  CancelTaskFn: 15,
  ApproveTaskFn: 15,
  DenyTaskFn: 15,
  WebhookCreateTaskFn: 15,
  GetPendingFn: 10,
  OrchestratorFn: 60,
};
export const DEFAULT_TIMEOUT = 3;

/** `{params}` when `resource` matches `segments`, else null. */
function bind(resource, segments) {
  const parts = resource.split('/').slice(1);
  if (parts.length !== segments.length) return null;
  const params = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.startsWith('{')) {
      // A path parameter never matches an empty segment.
      if (!segments[i]) return null;
      params[p.slice(1, -1)] = decodeURIComponent(segments[i]);
    } else if (p !== segments[i]) {
      return null;
    }
  }
  return params;
}

/** Literal segments win over `{param}` ones, level by level (so
 * `/webhooks/tasks` is its own resource, never `/webhooks/{webhook_id}`). */
function specificity(resource) {
  return resource.split('/').slice(1).map((p) => (p.startsWith('{') ? '0' : '1')).join('');
}

/**
 * Finds the route of `method` on `segments` (the path after the stage, split
 * on `/`). Returns `{route, resource, pathParameters}`, `{resource}` alone
 * when the resource exists without that method, or null.
 */
export function match(method, segments) {
  let best = null;
  for (const [, resource] of ROUTES) {
    const params = bind(resource, segments);
    if (params && (!best || specificity(resource) > specificity(best.resource))) {
      best = { resource, params };
    }
  }
  if (!best) return null;
  const route = ROUTES.find(([m, r]) => r === best.resource && m === method);
  if (!route) return { resource: best.resource };
  const pathParameters = Object.keys(best.params).length ? best.params : null;
  return { route, resource: best.resource, pathParameters };
}
