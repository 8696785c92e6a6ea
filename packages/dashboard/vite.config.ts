import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser app: src/ui -> dist/ui, served by `serveDashboard` under /ui/. Preact through
// esbuild's automatic JSX runtime, so no framework plugin is needed; every asset is bundled.
export default defineConfig({
  root: fileURLToPath(new URL('./src/ui', import.meta.url)),
  base: '/ui/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('./dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
