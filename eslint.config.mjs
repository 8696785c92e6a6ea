import nx from '@nx/eslint-plugin';

// Dependency direction (see CONVENTIONS.md): a wrong arrow fails lint, not review.
const depConstraints = [
  { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:api', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:store', onlyDependOnLibsWithTags: ['type:core', 'type:api'] },
  { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:core', 'type:api'] },
  { sourceTag: 'type:apiserver', onlyDependOnLibsWithTags: ['type:core', 'type:api', 'type:store', 'type:client'] },
  { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:core', 'type:api'] },
  { sourceTag: 'type:downward', onlyDependOnLibsWithTags: ['type:core', 'type:api'] },
  { sourceTag: 'type:runtime-adapter', onlyDependOnLibsWithTags: ['type:core', 'type:api', 'type:runtime', 'type:downward', 'type:runtime-adapter'] },
  { sourceTag: 'type:kubelet', onlyDependOnLibsWithTags: ['type:core', 'type:api', 'type:client', 'type:runtime', 'type:downward'] },
  { sourceTag: 'type:component', onlyDependOnLibsWithTags: ['type:core', 'type:api', 'type:client'] },
  { sourceTag: 'type:dashboard', onlyDependOnLibsWithTags: ['type:core', 'type:api'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['*'] },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.peapod', '**/ui-dist'] },
  {
    files: ['**/*.ts'],
    rules: {
      // tools/emit.mjs, the BENCH-line printer, belongs to no project: bench scripts reach it by relative path.
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: ['../../emit.mjs', '../../../tools/emit.mjs', '../../../../tools/emit.mjs'], depConstraints }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
