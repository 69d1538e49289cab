// Worker-thread bootstrap: the main thread's tsx loader does not reach worker threads, so each
// worker registers it before importing the TypeScript worker module.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
