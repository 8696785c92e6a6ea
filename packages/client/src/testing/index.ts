export { FakeApiServer } from './fake-api-server.js';
export type { FakeApiServerOptions } from './fake-api-server.js';
