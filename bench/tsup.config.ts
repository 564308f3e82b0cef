import { defineConfig } from 'tsup';

export default defineConfig({
  // Each entry runs as its own process: the orchestrator, the server under test, the load generator, the report.
  entry: [
    'src/cli.ts',
    'src/server-entry.ts',
    'src/load-entry.ts',
    'src/capacity-server-entry.ts',
    'src/capacity-holder-entry.ts',
    'src/heap-lab.ts',
    'src/report.ts',
    'src/profile-summary.ts',
  ],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  platform: 'node',
  target: 'node20',
});
