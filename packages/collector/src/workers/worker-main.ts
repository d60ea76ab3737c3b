/** The entry point of a worker process (forked by the primary, see primary.ts). */
import { runWorker } from './worker.js';

process.exitCode = await runWorker();
if (process.connected) process.disconnect();
