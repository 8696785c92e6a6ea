export { FakeKubeletApi } from './fake-api.js';
