export { FakeHost, FakeRuntime, imageId } from './fake-runtime.js';
export type { FakeRuntimeCall, FakeRuntimeOptions } from './fake-runtime.js';
export { FAKE_SCRIPT_ENV, fakeWorkload } from './script.js';
export type { ContainerScript, ExecAnswer, ScriptStep } from './script.js';
