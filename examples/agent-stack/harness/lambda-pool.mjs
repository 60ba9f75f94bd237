// A Lambda function as a pool of warm execution environments (worker
// threads): an invocation takes an idle environment or starts a new one, so
// concurrent requests run concurrently and each environment runs one
// invocation at a time with its module state kept between invocations, as
// Lambda does. An invocation past the function's timeout ends its
// environment, like Lambda stopping the sandbox.

import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./lambda-worker.mjs', import.meta.url);

function prefixed(stream, out, name) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
}

export class LambdaFunction {
  /**
   * @param {object} o
   * @param {string} o.name      the function's name (its construct id)
   * @param {string} o.arn       its ARN, as the handler's context reports it
   * @param {string} o.bundle    the bundled handler (CommonJS, exports `handler`)
   * @param {object} o.env       the function's environment, whole
   * @param {number} o.timeoutSeconds
   * @param {number} o.memoryMb
   * @param {object} o.redirects see redirects.mjs
   */
  constructor(o) {
    Object.assign(this, o);
    this.idle = [];
    this.all = new Set();
    this.invocations = 0;
  }

  spawn() {
    const worker = new Worker(WORKER, {
      env: this.env,
      stdout: true,
      stderr: true,
      workerData: {
        bundle: this.bundle,
        functionName: this.name,
        functionArn: this.arn,
        memoryMb: this.memoryMb,
        timeoutSeconds: this.timeoutSeconds,
        redirects: this.redirects,
      },
    });
    prefixed(worker.stdout, process.stdout, this.name);
    prefixed(worker.stderr, process.stderr, this.name);
    worker.pending = new Map();
    worker.ready = new Promise((resolve) => { worker.markReady = resolve; });
    worker.on('message', ({ ready, id, result, error }) => {
      if (ready) {
        worker.markReady();
        return;
      }
      const done = worker.pending.get(id);
      if (done) {
        worker.pending.delete(id);
        done({ result, error });
      }
    });
    worker.on('error', (err) => {
      worker.markReady();
      for (const done of worker.pending.values()) {
        done({ error: { errorType: 'Runtime.ExitError', errorMessage: String(err) } });
      }
      worker.pending.clear();
      this.retire(worker);
    });
    worker.on('exit', () => this.retire(worker));
    this.all.add(worker);
    return worker;
  }

  retire(worker) {
    this.all.delete(worker);
    this.idle = this.idle.filter((w) => w !== worker);
  }

  /** Runs one invocation: `{result}` or `{error: {errorType, errorMessage}}`. */
  async invoke(event) {
    this.invocations += 1;
    const worker = this.idle.pop() ?? this.spawn();
    const id = randomUUID();
    await worker.ready;
    if (!this.all.has(worker)) {
      return { error: { errorType: 'Runtime.ExitError', errorMessage: `${this.name}: the environment ended during init` } };
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        worker.pending.delete(id);
        this.retire(worker);
        worker.terminate();
        resolve({
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${this.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, this.timeoutSeconds * 1000);
      worker.pending.set(id, (outcome) => {
        clearTimeout(timer);
        if (this.all.has(worker)) this.idle.push(worker);
        resolve(outcome);
      });
      worker.postMessage({ id, requestId: randomUUID(), event });
    });
  }

  async close() {
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
    this.idle = [];
  }
}
