// Bundles ABCA's handlers with esbuild, unchanged, the way ABCA's
// `NodejsFunction`s are bundled (task-api.ts `commonBundling`,
// task-orchestrator.ts `orchestratorBundling`), with two local choices:
// everything is bundled (the Lambda runtime's AWS SDK is not here), and
// `aws-cdk-lib` and `constructs` resolve to a one-class module. The handlers
// import only the constant ATTACHMENT_OBJECT_KEY_PREFIX from
// `constructs/attachments-bucket.ts`, whose module top level evaluates
// `class AttachmentsBucket extends Construct`; `Construct` must therefore be
// a class, and nothing else of aws-cdk-lib runs in a handler.
//
// Bundles are cached under `<cache>/<key>/`, the key being a hash of ABCA's
// `cdk/src` and `contracts` trees, its tsconfig, the installed npm lock file
// and the esbuild version, so an unchanged checkout is bundled once.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const CDK_STUB = {
  name: 'vigil-cdk-stub',
  setup(build) {
    build.onResolve({ filter: /^(aws-cdk-lib|constructs)(\/.*)?$/ }, (a) => ({ path: a.path, namespace: 'vigil-cdk-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'vigil-cdk-stub' }, () => ({
      contents: 'module.exports = { Construct: class Construct {} };',
      loader: 'js',
    }));
  },
};

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(f);
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Bundles `entries` (handler file names without `.ts`) from
 * `<abcaDir>/cdk/src/handlers/`; returns `{dir, bundles: {entry: file}}`.
 */
export async function bundleHandlers({ abcaDir, npmPrefix, cacheDir, entries }) {
  const require = createRequire(path.join(npmPrefix, 'package.json'));
  const esbuild = require('esbuild');
  const handlers = path.join(abcaDir, 'cdk', 'src', 'handlers');
  const entryPoints = Object.fromEntries(entries.map((e) => [e, path.join(handlers, `${e}.ts`)]));
  const tsconfig = path.join(abcaDir, 'cdk', 'tsconfig.json');
  const options = {
    entryPoints,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    nodePaths: [path.join(npmPrefix, 'node_modules')],
    plugins: [CDK_STUB],
    tsconfig,
    logLevel: 'error',
  };
  const sources = [
    ...walk(path.join(abcaDir, 'cdk', 'src')),
    ...walk(path.join(abcaDir, 'contracts')),
    tsconfig,
    path.join(npmPrefix, 'package-lock.json'),
  ];
  const key = `${hashFiles(sources)}-esbuild${esbuild.version}`;
  const dir = path.join(cacheDir, key);
  const bundles = Object.fromEntries(entries.map((e) => [e, path.join(dir, `${e}.js`)]));
  if (!Object.values(bundles).every((f) => existsSync(f))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await esbuild.build({ ...options, outdir: tmp });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  return { dir, key, bundles };
}
