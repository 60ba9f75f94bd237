// One warm Lambda execution environment: a worker thread that loads one of
// ABCA's bundled handlers with that function's own environment (the worker
// gets its own copy of `process.env`) and runs one invocation at a time,
// like a Lambda sandbox. The parent (lambda-pool.mjs) enforces the timeout.

import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

import { quietNodeVersionWarning } from './node-version.mjs';
import { installRedirects } from './redirects.mjs';

const { bundle, functionName, functionArn, memoryMb, timeoutSeconds, redirects } = workerData;
installRedirects(redirects);
quietNodeVersionWarning();

const require = createRequire(import.meta.url);
let mod;
let initError;
try {
  mod = require(bundle);
} catch (err) {
  initError = err;
}
// Lambda's init phase is not part of the invocation's timeout: the pool
// starts the clock only once the module is loaded.
parentPort.postMessage({ ready: true });

function lambdaContext(requestId, deadline) {
  return {
    awsRequestId: requestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memoryMb),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function describe(err) {
  return {
    errorType: err?.name ?? 'Error',
    errorMessage: err?.message ?? String(err),
    trace: typeof err?.stack === 'string' ? err.stack.split('\n') : [],
  };
}

parentPort.on('message', async ({ id, requestId, event }) => {
  if (initError) {
    parentPort.postMessage({ id, error: { ...describe(initError), errorType: 'Runtime.ImportModuleError' } });
    return;
  }
  const deadline = Date.now() + timeoutSeconds * 1000;
  try {
    const result = await mod.handler(event, lambdaContext(requestId, deadline));
    parentPort.postMessage({ id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (err) {
    parentPort.postMessage({ id, error: describe(err) });
  }
});
