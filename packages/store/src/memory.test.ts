import { runStoreConformance } from './conformance.js';
import { createMemoryStore } from './memory.js';

runStoreConformance('memory', (opts) => createMemoryStore(opts));
