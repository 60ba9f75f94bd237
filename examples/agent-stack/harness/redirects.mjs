// What ABCA's code reaches outside AWS's SDK endpoints, sent to local
// stand-ins instead. The AWS SDK clients need nothing here: ABCA builds
// them with default config (`cdk/src/handlers/shared/ua.ts` `makeClient`),
// so `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` redirect them.
//
// * `https://api.github.com` is hard-coded in pre-flight and hydration
//   (`shared/preflight.ts`, `shared/context-hydration.ts`) and called with
//   the global `fetch`: sent to the GitHub double.
// * Cognito's JWKS (`https://cognito-idp.<region>.amazonaws.com/<pool>/
//   .well-known/jwks.json`) is fetched by aws-jwt-verify with
//   `https.request` (`api-key-authorizer.ts`'s CognitoJwtVerifier): sent
//   to moto, which serves the pool's keys at `/<pool>/.well-known/jwks.json`.
//
// Anything else on https is refused, so a call nobody stood in for fails
// loudly instead of leaving the machine.

import http from 'node:http';
import https from 'node:https';

const COGNITO_HOST = /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$/;

/** Installs both redirects in this thread (or process). */
export function installRedirects({ githubUrl, awsEndpoint }) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol === 'https:' && url.hostname === 'api.github.com') {
      if (!githubUrl) throw new Error('vigil harness: no GitHub double configured for api.github.com');
      const local = new URL(url.pathname + url.search, githubUrl);
      return realFetch(typeof input === 'string' || input instanceof URL ? local : new Request(local, input), init);
    }
    if (url.protocol === 'https:') {
      return Promise.reject(new Error(`vigil harness: no stand-in for ${url.origin} (refused)`));
    }
    return realFetch(input, init);
  };

  const realRequest = https.request;
  https.request = (...args) => {
    const [first] = args;
    const url = typeof first === 'string' || first instanceof URL ? new URL(first) : null;
    const host = url ? url.hostname : first?.hostname ?? first?.host;
    if (host && COGNITO_HOST.test(host) && awsEndpoint) {
      const path = url ? url.pathname + url.search : first.path;
      const target = new URL(path, awsEndpoint);
      const options = typeof args[1] === 'object' && typeof args[1] !== 'function' ? args[1] : {};
      const callback = args.find((a) => typeof a === 'function');
      return http.request(target, { method: options.method ?? 'GET', headers: options.headers }, callback);
    }
    return realRequest(...args);
  };
}
