// ABCA's Lambdas run on Node 24 (`Runtime.NODEJS_24_X`); here they run on
// the machine's Node (20 or later), and the AWS SDK warns once per process
// that its releases after January 2027 need Node 22. That warning says
// nothing about the code under test, so it is dropped; every other warning
// is still printed.

export function quietNodeVersionWarning() {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (!String(w.message).includes('NodeVersionSupportWarning')) console.warn(w);
  });
}
