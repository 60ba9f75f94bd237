// The GitHub REST/GraphQL endpoints ABCA's orchestrator and agent reach,
// answered the way api.github.com answers them, for a fixed set of tokens
// and repositories. Only what the vendored code calls is served:
//
// * `GET /rate_limit` and `GET /repos/{owner}/{repo}` (pre-flight,
//   `shared/preflight.ts`: status and `permissions.push` are read);
// * `POST /graphql` `repository{viewerPermission}` (pre-flight, when REST
//   says push is not true);
// * `GET /repos/{owner}/{repo}/pulls/{n}` (pre-flight for PR tasks) and
//   `GET /repos/{owner}/{repo}/issues/{n}` (+ `/comments`) (hydration);
// * `POST /repos/{owner}/{repo}/pulls`: the pull request the agent opens
//   at the end of a coding task (the agent's pipeline does this after its
//   push; see agent/runtime.py).
//
// GitHub accepts `Authorization: token <t>` and `Bearer <t>`; an unknown
// token is `401 Bad credentials`; a repository the token cannot see is
// `404 Not Found` (GitHub does not reveal private repositories).

import http from 'node:http';

const DOCS = 'https://docs.github.com/rest';

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function token(req) {
  const h = req.headers.authorization ?? '';
  const m = /^(?:token|bearer)\s+(.+)$/i.exec(h.trim());
  return m ? m[1] : null;
}

/**
 * @param {object} o
 * @param {string[]} o.tokens valid tokens
 * @param {Record<string, {push: boolean, default_branch?: string}>} o.repos
 *        repositories the valid tokens can see
 */
export function startGitHubDouble({ tokens, repos }, log = () => {}) {
  const valid = new Set(tokens);
  const pulls = new Map();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const url = new URL(req.url, 'http://github.local');
      const t = token(req);
      log(`${req.method} ${url.pathname}`);
      if (t !== null && !valid.has(t)) {
        send(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
        return;
      }
      const authed = t !== null;
      if (req.method === 'GET' && url.pathname === '/rate_limit') {
        const core = { limit: authed ? 5000 : 60, used: 1, remaining: authed ? 4999 : 59, reset: Math.floor(Date.now() / 1000) + 3600 };
        send(res, 200, { resources: { core }, rate: core });
        return;
      }
      if (req.method === 'POST' && url.pathname === '/graphql') {
        if (!authed) {
          send(res, 401, { message: 'This endpoint requires you to be authenticated.', documentation_url: DOCS });
          return;
        }
        let query;
        try { query = JSON.parse(body); } catch { query = {}; }
        const v = query.variables ?? {};
        const repo = repos[`${v.owner}/${v.name}`];
        if (!repo) {
          send(res, 200, { data: { repository: null }, errors: [{ type: 'NOT_FOUND', path: ['repository'], message: `Could not resolve to a Repository with the name '${v.owner}/${v.name}'.` }] });
          return;
        }
        send(res, 200, { data: { repository: { viewerPermission: repo.push ? 'WRITE' : 'READ' } } });
        return;
      }
      const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
      const full = m ? `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}` : null;
      const repo = full && authed ? repos[full] : undefined;
      if (!m || !repo) {
        send(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
        return;
      }
      const rest = m[3] ?? '';
      if (req.method === 'GET' && rest === '') {
        const [owner, name] = full.split('/');
        send(res, 200, {
          name,
          full_name: full,
          owner: { login: owner },
          private: true,
          default_branch: repo.default_branch ?? 'main',
          permissions: { admin: false, maintain: false, push: Boolean(repo.push), triage: true, pull: true },
        });
        return;
      }
      if (req.method === 'POST' && rest === '/pulls') {
        if (!repo.push) {
          send(res, 403, { message: 'Resource not accessible by personal access token', documentation_url: DOCS, status: '403' });
          return;
        }
        let pr;
        try { pr = JSON.parse(body); } catch { pr = {}; }
        if (!pr.head || !pr.base || !pr.title) {
          send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'missing_field' }], documentation_url: DOCS, status: '422' });
          return;
        }
        const list = pulls.get(full) ?? [];
        const number = list.length + 1;
        const created = { number, state: 'open', title: pr.title, head: { ref: pr.head }, base: { ref: pr.base }, html_url: `https://github.com/${full}/pull/${number}` };
        list.push(created);
        pulls.set(full, list);
        send(res, 201, created);
        return;
      }
      const pull = /^\/pulls\/(\d+)$/.exec(rest);
      if (req.method === 'GET' && pull) {
        const found = (pulls.get(full) ?? [])[Number(pull[1]) - 1];
        send(res, found ? 200 : 404, found ?? { message: 'Not Found', documentation_url: DOCS, status: '404' });
        return;
      }
      send(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}
