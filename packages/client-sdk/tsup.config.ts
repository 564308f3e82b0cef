import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/session.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // Browsers are a target too: no Node polyfills, no node: built-ins (dependencies stay external).
  platform: 'neutral',
  target: 'es2022',
});
