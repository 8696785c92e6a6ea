import { defineConfig } from 'vitest/config';

// One vitest run covers the workspace. Workspace packages resolve to their TypeScript sources
// through the `@peapod/source` export condition, so tests never need a build of a dependency.
const conditions = ['@peapod/source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@peapod/source'] } },
  test: {
    include: ['{packages,apps,tools,examples}/**/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    typecheck: { enabled: false },
  },
});
