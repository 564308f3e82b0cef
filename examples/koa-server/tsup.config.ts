import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/reference-server.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
