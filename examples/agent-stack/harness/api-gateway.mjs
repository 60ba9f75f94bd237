// API Gateway's REST API `TaskApi` in front of ABCA's handlers: stage `v1`,
// the routes of routes.mjs, the Cognito user-pools authorizer, the Lambda
// REQUEST authorizers, Lambda proxy integration, and API Gateway's own
// default gateway responses (task-api.ts customises none).
//
// What API Gateway answers itself (AWS documentation, "Gateway response
// types for API Gateway"; bodies are the default template
// `{"message":$context.error.messageString}`):
// * no route (unknown path or method, another stage): 403
//   MISSING_AUTHENTICATION_TOKEN `{"message":"Missing Authentication Token"}`;
// * Cognito authorizer, token missing or not valid: 401 UNAUTHORIZED
//   `{"message":"Unauthorized"}`;
// * REQUEST authorizer returning an explicit Deny: 403 ACCESS_DENIED
//   `{"message":"User is not authorized to access this resource with an
//   explicit deny"}` (AWS Knowledge Center, "troubleshoot HTTP 403 errors
//   when using a Lambda authorizer"); a missing identity source: 401;
//   an authorizer that fails: 500 AUTHORIZER_FAILURE;
// * a Lambda error, timeout or malformed proxy answer: 502
//   `{"message":"Internal server error"}`.
//
// Choices where AWS's behaviour is not documented, each the stricter one:
// * `Authorization: Bearer <id token>` is refused (401) by the Cognito
//   authorizer: ABCA's own clients send the raw token
//   (`cdk/test/integ/integ.task-api-smoke.ts`, `cli/src/api-client.ts`);
// * an empty path segment (`/v1//tasks`, what `${ApiUrl}/tasks` gives with
//   AgentStack's `ApiUrl`, which ends in `/`) matches no resource (403);
// * only the ID token is accepted (no authorization scopes are configured,
//   so the authorizer checks an identity token), from this user pool
//   (`iss`), unexpired, with a valid RS256 signature.
//
// Not emulated: WAF (managed rule sets, 1000 requests per IP), stage
// throttling (60 rps, burst 100), request validation (no models exist),
// CORS preflight answers beyond the allow-all headers, payload limits.

import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import http from 'node:http';

import { match, NOT_VENDORED, STAGE } from './routes.mjs';

function gatewayResponse(res, status, message, type, requestId) {
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': type,
  });
  res.end(body);
}

/** Header maps as a REST API proxy event carries them: names as sent. */
function headerMaps(raw) {
  const headers = {};
  const multi = {};
  for (let i = 0; i < raw.length; i += 2) {
    const [name, value] = [raw[i], raw[i + 1]];
    headers[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { headers, multi };
}

function headerValue(raw, name) {
  const lower = name.toLowerCase();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === lower) return raw[i + 1];
  }
  return undefined;
}

function queryMaps(url) {
  if ([...url.searchParams.keys()].length === 0) return { query: null, multi: null };
  const query = {};
  const multi = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { query, multi };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway hands Cognito claims to the integration as strings, the
 * time claims as `Wed Dec 02 12:39:13 UTC 2026`. */
function claimStrings(payload) {
  const out = {};
  for (const [k, v] of Object.entries(payload)) {
    if (['exp', 'iat', 'auth_time'].includes(k) && typeof v === 'number') {
      const d = new Date(v * 1000);
      const pad = (n) => String(n).padStart(2, '0');
      out[k] = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
    } else if (Array.isArray(v)) {
      out[k] = v.join(',');
    } else {
      out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}

/** Does an IAM policy from a Lambda authorizer allow `methodArn`? */
function policyAllows(policy, methodArn) {
  const statements = policy?.policyDocument?.Statement ?? [];
  const list = Array.isArray(statements) ? statements : [statements];
  const matches = (resource) => {
    const re = new RegExp(`^${String(resource).split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(methodArn);
  };
  let allowed = false;
  for (const s of list) {
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    if (!actions.some((a) => a === 'execute-api:Invoke' || a === 'execute-api:*' || a === '*')) continue;
    if (!resources.some(matches)) continue;
    if (s.Effect === 'Deny') return 'deny';
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit';
}

/**
 * @param {object} o
 * @param {Record<string, import('./lambda-pool.mjs').LambdaFunction>} o.functions
 * @param {{verify(token: string): Promise<object>}} o.cognito an ID-token verifier
 * @param {string} o.region
 * @param {string} o.accountId
 * @param {string} o.apiId
 * @param {string|null} o.recordCredentials file to append `<kind>\t<value>` lines to
 * @param {number} [o.port] 0 or absent: any free port
 */
export function startApiGateway({ functions, cognito, region, accountId, apiId, recordCredentials, port }) {
  const record = (kind, value) => {
    if (recordCredentials && value) appendFileSync(recordCredentials, `${kind}\t${value}\n`);
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks), res).catch((err) => {
        console.error(`[api-gateway] ${err?.stack ?? err}`);
        if (!res.headersSent) gatewayResponse(res, 500, 'Internal server error', 'InternalServerErrorException', randomUUID());
      });
    });
  });

  async function handle(req, body, res) {
    const requestId = randomUUID();
    const url = new URL(req.url, 'http://api.local');
    const method = req.method;
    const raw = req.rawHeaders;
    record('authorization', headerValue(raw, 'Authorization'));
    record('x-api-key', headerValue(raw, 'X-API-Key'));

    const segments = url.pathname.split('/').slice(1);
    if (segments[0] !== STAGE || segments.length < 2) {
      gatewayResponse(res, 403, 'Missing Authentication Token', 'MissingAuthenticationTokenException', requestId);
      return;
    }
    const rest = segments.slice(1);
    const found = match(method, rest);
    if (method === 'OPTIONS' && found) {
      // defaultCorsPreflightOptions: all origins, all methods (a mock integration).
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD',
        'access-control-allow-headers': 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent',
        'x-amzn-requestid': requestId,
      });
      res.end();
      return;
    }
    if (!found?.route) {
      gatewayResponse(res, 403, 'Missing Authentication Token', 'MissingAuthenticationTokenException', requestId);
      return;
    }
    const [, resource, fnName, authorizer] = found.route;
    const path = `/${rest.join('/')}`;
    const methodArn = `arn:aws:execute-api:${region}:${accountId}:${apiId}/${STAGE}/${method}${path}`;
    const { headers, multi } = headerMaps(raw);
    const { query, multi: multiQuery } = queryMaps(url);
    const now = new Date();
    const requestContext = {
      resourceId: resource,
      resourcePath: resource,
      httpMethod: method,
      extendedRequestId: requestId,
      requestTime: now.toUTCString(),
      path: `/${STAGE}${path}`,
      accountId,
      protocol: `HTTP/${req.httpVersion}`,
      stage: STAGE,
      domainPrefix: apiId,
      requestTimeEpoch: now.getTime(),
      requestId,
      identity: {
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? null,
        userAgent: headerValue(raw, 'User-Agent') ?? null,
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoIdentityId: null,
        user: null,
        userArn: null,
      },
      domainName: `${apiId}.execute-api.${region}.amazonaws.com`,
      apiId,
    };

    // What both a REQUEST authorizer and the integration are given (the
    // authorizer's answer is added to requestContext before the latter).
    const request = {
      resource,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: multi,
      queryStringParameters: query,
      multiValueQueryStringParameters: multiQuery,
      pathParameters: found.pathParameters,
      stageVariables: null,
      requestContext,
    };

    // --- authorizer ---
    if (authorizer.kind === 'cognito') {
      const token = headerValue(raw, 'Authorization');
      if (!token) {
        gatewayResponse(res, 401, 'Unauthorized', 'UnauthorizedException', requestId);
        return;
      }
      let claims;
      try {
        claims = await cognito.verify(token);
      } catch {
        gatewayResponse(res, 401, 'Unauthorized', 'UnauthorizedException', requestId);
        return;
      }
      requestContext.authorizer = { claims: claimStrings(claims) };
    } else {
      const missing = authorizer.identitySources.some((h) => !headerValue(raw, h));
      if (missing) {
        gatewayResponse(res, 401, 'Unauthorized', 'UnauthorizedException', requestId);
        return;
      }
      const authEvent = { type: 'REQUEST', methodArn, ...request };
      const started = Date.now();
      const out = await functions[authorizer.fn].invoke(authEvent);
      if (out.error) {
        // A REQUEST authorizer that throws `Unauthorized` means 401; any
        // other failure is AUTHORIZER_FAILURE.
        if (out.error.errorMessage === 'Unauthorized') {
          gatewayResponse(res, 401, 'Unauthorized', 'UnauthorizedException', requestId);
        } else {
          gatewayResponse(res, 500, null, 'AuthorizerFailureException', requestId);
        }
        return;
      }
      const verdict = policyAllows(out.result, methodArn);
      if (verdict === 'deny') {
        gatewayResponse(res, 403, 'User is not authorized to access this resource with an explicit deny', 'AccessDeniedException', requestId);
        return;
      }
      if (verdict !== 'allow') {
        gatewayResponse(res, 403, 'User is not authorized to access this resource', 'AccessDeniedException', requestId);
        return;
      }
      requestContext.authorizer = {
        principalId: out.result.principalId,
        integrationLatency: Date.now() - started,
        ...(out.result.context ?? {}),
      };
    }

    if (!fnName) {
      const file = NOT_VENDORED[resource];
      const text = JSON.stringify({
        message: `vigil harness: ${method} ${resource} exists in AgentStack, but its handler (${file}) is not in the vendored ABCA subset`,
      });
      res.writeHead(501, { 'content-type': 'application/json', 'x-amzn-requestid': requestId });
      res.end(text);
      return;
    }

    // --- Lambda proxy integration ---
    const event = {
      ...request,
      body: body.length ? body.toString('utf8') : null,
      isBase64Encoded: false,
    };
    const out = await functions[fnName].invoke(event);
    const answer = out.result;
    if (out.error || !answer || typeof answer.statusCode !== 'number') {
      if (out.error) console.error(`[api-gateway] ${fnName} failed: ${out.error.errorType}: ${out.error.errorMessage}`);
      gatewayResponse(res, 502, 'Internal server error', 'InternalServerErrorException', requestId);
      return;
    }
    if (fnName === 'CreateApiKeyFn' && answer.statusCode === 201) {
      try {
        record('issued-api-key', JSON.parse(answer.body).data.key);
      } catch {
        // not a key answer
      }
    }
    const outHeaders = { 'x-amzn-requestid': requestId };
    for (const [k, v] of Object.entries(answer.headers ?? {})) outHeaders[k] = String(v);
    for (const [k, vs] of Object.entries(answer.multiValueHeaders ?? {})) outHeaders[k] = vs.map(String);
    const payload = answer.body == null ? Buffer.alloc(0)
      : answer.isBase64Encoded ? Buffer.from(answer.body, 'base64') : Buffer.from(String(answer.body), 'utf8');
    outHeaders['content-length'] = payload.length;
    res.writeHead(answer.statusCode, outHeaders);
    res.end(payload);
  }

  return new Promise((resolve) => {
    server.listen(port ?? 0, '127.0.0.1', () => resolve({ server, port: server.address().port }));
  });
}
