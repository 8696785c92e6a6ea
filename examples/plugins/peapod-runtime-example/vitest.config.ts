import { defineConfig, mergeConfig } from 'vitest/config';
import root from '../../../vitest.config.ts';

// The workspace config with this package's tests (the workspace run lists packages/apps/tools).
export default mergeConfig(root, defineConfig({ test: { include: ['src/**/*.test.ts'], dir: '.' } }));
