#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, readConfig } from './config.js';
import { startReferenceServer } from './reference-server.js';

/** Loads `.env` from where `npm start` was run (or the current folder); variables already set win. */
function loadDotEnv(): void {
  for (const folder of new Set([process.env.INIT_CWD, process.cwd()])) {
    const file = folder ? join(folder, '.env') : undefined;
    if (file && existsSync(file)) {
      process.loadEnvFile(file);
      return;
    }
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const config = readConfig();
  const running = await startReferenceServer(config);
  const models = await running.kit.engine.models().catch(() => undefined);
  const provider = config.provider === 'groq' ? 'Groq (GROQ_API_KEY is set)' : 'the simulated model (no GROQ_API_KEY)';
  const access = running.kit.authenticated
    ? `API keys required (${config.apiKeys.length} configured)`
    : 'OPEN: no CHATWIRE_API_KEYS, anyone who can reach this port can chat';
  // One write, so whoever watches for the "listening" line also has the provider line.
  console.log(
    [
      `chatwire reference server listening on ${running.url}`,
      `provider: ${provider}; default model: ${models?.default ?? 'unknown'}`,
      `access: ${access}`,
      `modes: sync POST /api/sync/chat · polling POST /api/async/chat · sse POST /api/sse/chat · ws ${running.url.replace('http', 'ws')}/ws/chat`,
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(
      `${signal}: shutting down (runs get up to ${config.shutdownDeadlineMs} ms to finish, then streams deliver their last events)`,
    );
    running.close(config.shutdownDeadlineMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError
      ? `configuration error: ${error.message}`
      : `failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
