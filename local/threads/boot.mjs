// A worker thread's first module: TypeScript support (tsx, as `npm start` and the tests run the
// project), then the thread's own module. Plain JavaScript, so a thread starts from any runner.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
