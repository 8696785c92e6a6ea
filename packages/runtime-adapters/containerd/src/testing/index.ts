export { RecordingCriServer } from './recording-cri-server.js';
export type { RecordedCriCall } from './recording-cri-server.js';
