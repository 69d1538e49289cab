// Record-thread bootstrap from sources: the main thread's tsx loader does not reach worker threads,
// so the thread registers it before importing the TypeScript module (the bundle has its own entry).
import { register } from 'tsx/esm/api';
register();
await import('./record-worker.ts');
