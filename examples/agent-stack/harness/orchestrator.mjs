// ABCA's durable orchestrator (`cdk/src/handlers/orchestrate-task.ts`,
// bundled unchanged) run by the durable-execution SDK's own local runner,
// `LocalDurableTestRunner` of `@aws/durable-execution-sdk-js-testing`, in
// real time. This process stands in for the orchestrator's Lambda alias
// `live`: create-task's asynchronous `Invoke` (InvocationType `Event`,
// payload `{task_id}`) reaches the harness, which sends it here; each one
// starts a durable execution. One process holds every execution, like one
// warm execution environment, so module state the orchestrator keeps
// between invocations (the GitHub token cache of
// `shared/context-hydration.ts`, five minutes per secret ARN) is shared
// between tasks as it is on Lambda.
//
// Started by agentstack.mjs with the orchestrator function's environment
// (task-orchestrator.ts) and an IPC channel; messages:
//   in:  {invoke: {requestId, payload}}
//   out: {ready: true} | {done: {requestId, taskId, status, seconds, error?}}

import { createRequire } from 'node:module';

import { quietNodeVersionWarning } from './node-version.mjs';
import { installRedirects } from './redirects.mjs';

const [bundle, nodeModules] = process.argv.slice(2);
installRedirects({ githubUrl: process.env.VIGIL_GITHUB_URL, awsEndpoint: process.env.AWS_ENDPOINT_URL });
quietNodeVersionWarning();

const require = createRequire(`${nodeModules}/`);
const { LocalDurableTestRunner } = require('@aws/durable-execution-sdk-js-testing');
const { handler } = require(bundle);

// Real timers: with `skipTime` the runner would spin through the
// orchestrator's 1020 status polls at once instead of every 30 s.
await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false });

const running = new Set();

async function execute({ requestId, payload }) {
  const started = Date.now();
  const runner = new LocalDurableTestRunner({ handlerFunction: handler });
  const taskId = payload?.task_id;
  let status;
  let error;
  try {
    const result = await runner.run({ payload });
    status = result.getStatus();
    if (status !== 'SUCCEEDED') {
      const e = result.getError();
      error = `${e?.errorType ?? 'Error'}: ${e?.errorMessage ?? ''}`;
    }
  } catch (err) {
    status = 'FAILED';
    error = String(err?.stack ?? err);
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`[OrchestratorFn] durable execution of task ${taskId} ended ${status} after ${seconds.toFixed(1)} s${error ? `: ${error}` : ''}`);
  process.send?.({ done: { requestId, taskId, status, seconds, error } });
}

process.on('message', (message) => {
  if (message?.invoke) {
    const p = execute(message.invoke).finally(() => running.delete(p));
    running.add(p);
  }
});

async function shutdown() {
  await LocalDurableTestRunner.teardownTestEnvironment().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('disconnect', shutdown);

process.send?.({ ready: true });
