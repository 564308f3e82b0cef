import { createClientAddress, MIN_TICKET_SECRET_LENGTH } from '@chatwire/server-kit';

/** The reference server's settings, read from the environment. */
export interface ServerConfig {
  port: number;
  host: string;
  provider: 'groq' | 'simulated';
  groqApiKey?: string;
  groqBaseUrl?: string;
  defaultModel?: string;
  /** Accepted API keys; empty: the server is open. */
  apiKeys: string[];
  /** Exact origins allowed for WS and CORS; empty: any origin, no CORS. */
  allowedOrigins: string[];
  /** Secret signing WS tickets, at least 32 characters (default: derived from the API keys). */
  ticketSecret?: string;
  /** Proxies whose `X-Forwarded-For` is believed (IPs or CIDRs); empty: clients are known by their socket address. */
  trustedProxies: string[];
  /** How long SIGTERM lets running runs finish before ending them. */
  shutdownDeadlineMs: number;
  /** Run admission limits (`undefined`: the kit's defaults). */
  runLimits: { runsPerMinute?: number; maxConcurrentRunsPerPrincipal?: number; maxConcurrentRuns?: number };
  /** pino level: `fatal`, `error`, `warn`, `info` (default), `debug`, `trace` or `silent`. */
  logLevel: string;
  /** Redis shared by several instances (`REDIS_URL`); unset: one instance with the memory store. */
  redisUrl?: string;
  /** How long ended runs stay readable (`CHATWIRE_RUN_TTL_MS`, default the store's 10 minutes). */
  runTtlMs?: number;
  /** With Redis: how long a silent instance counts as alive (`CHATWIRE_LEASE_MS`, default the store's 3 s). */
  leaseMs?: number;
  /** With Redis: how long an event may wait for others to go in one script call (`CHATWIRE_WRITE_BEHIND_MS`, default the store's 4 ms). */
  writeBehindMs?: number;
  /** With Redis: how long a run's later tokens may wait for others (`CHATWIRE_TOKEN_WINDOW_MS`, default the store's 16 ms). */
  tokenWindowMs?: number;
}

// Every token waits up to this long before its readers see it: more is a stall, not a batch.
const MAX_WRITE_BEHIND_MS = 1000;

/** Thrown for a setting that cannot work; the message names the variable, never a secret's value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads `PORT` (8000), `HOST` (0.0.0.0), `GROQ_API_KEY`, `GROQ_BASE_URL`, `CHATWIRE_PROVIDER`, `DEFAULT_MODEL`,
 * `CHATWIRE_API_KEYS`, `CHATWIRE_ALLOWED_ORIGINS`, `CHATWIRE_TICKET_SECRET`, `CHATWIRE_TRUSTED_PROXIES`,
 * `CHATWIRE_SHUTDOWN_DEADLINE_MS`,
 * `REDIS_URL`, `CHATWIRE_RUN_TTL_MS`, `CHATWIRE_LEASE_MS`, `CHATWIRE_WRITE_BEHIND_MS` and
 * `CHATWIRE_TOKEN_WINDOW_MS`.
 * An empty variable counts as unset, so a copied `.env.example` with blank values works as is.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const portText = value('PORT') ?? '8000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new ConfigError(`PORT must be a port number, got "${portText}"`);
  const groqApiKey = value('GROQ_API_KEY');
  const requested = value('CHATWIRE_PROVIDER');
  if (requested !== undefined && requested !== 'groq' && requested !== 'simulated') {
    throw new ConfigError(`CHATWIRE_PROVIDER must be "groq" or "simulated", got "${requested}"`);
  }
  const provider = requested ?? (groqApiKey ? 'groq' : 'simulated');
  if (provider === 'groq' && !groqApiKey) throw new ConfigError('CHATWIRE_PROVIDER=groq needs GROQ_API_KEY');
  const list = (name: string) =>
    (value(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const deadlineText = value('CHATWIRE_SHUTDOWN_DEADLINE_MS') ?? '10000';
  if (!/^\d+$/.test(deadlineText))
    throw new ConfigError(`CHATWIRE_SHUTDOWN_DEADLINE_MS must be milliseconds, got "${deadlineText}"`);
  const config: ServerConfig = {
    port,
    host: value('HOST') ?? '0.0.0.0',
    provider,
    apiKeys: list('CHATWIRE_API_KEYS'),
    allowedOrigins: list('CHATWIRE_ALLOWED_ORIGINS'),
    trustedProxies: list('CHATWIRE_TRUSTED_PROXIES'),
    shutdownDeadlineMs: Number(deadlineText),
    logLevel: value('LOG_LEVEL') ?? 'info',
    runLimits: {},
  };
  for (const [name, field] of [
    ['CHATWIRE_RUNS_PER_MINUTE', 'runsPerMinute'],
    ['CHATWIRE_MAX_RUNS_PER_PRINCIPAL', 'maxConcurrentRunsPerPrincipal'],
    ['CHATWIRE_MAX_RUNS', 'maxConcurrentRuns'],
  ] as const) {
    const text = value(name);
    if (text === undefined) continue;
    if (!/^[1-9]\d*$/.test(text)) throw new ConfigError(`${name} must be a positive integer, got "${text}"`);
    config.runLimits[field] = Number(text);
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${config.logLevel}"`,
    );
  }
  const ticketSecret = value('CHATWIRE_TICKET_SECRET');
  if (ticketSecret !== undefined && ticketSecret.length < MIN_TICKET_SECRET_LENGTH) {
    throw new ConfigError(
      `CHATWIRE_TICKET_SECRET must be at least ${MIN_TICKET_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`), or unset to derive it from CHATWIRE_API_KEYS`,
    );
  }
  if (ticketSecret) config.ticketSecret = ticketSecret;
  try {
    createClientAddress(config.trustedProxies);
  } catch {
    throw new ConfigError(
      `CHATWIRE_TRUSTED_PROXIES must be comma-separated IP addresses or CIDRs, got "${config.trustedProxies.join(',')}"`,
    );
  }
  if (groqApiKey) config.groqApiKey = groqApiKey;
  const groqBaseUrl = value('GROQ_BASE_URL');
  if (groqBaseUrl) config.groqBaseUrl = groqBaseUrl;
  const defaultModel = value('DEFAULT_MODEL');
  if (defaultModel) config.defaultModel = defaultModel;
  const redisUrl = value('REDIS_URL');
  // The URL may carry a password: the message never repeats it.
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  if (redisUrl) config.redisUrl = redisUrl;
  const milliseconds = (name: string): number | undefined => {
    const text = value(name);
    if (text !== undefined && !/^[1-9]\d*$/.test(text))
      throw new ConfigError(`${name} must be milliseconds, got "${text}"`);
    return text === undefined ? undefined : Number(text);
  };
  const runTtlMs = milliseconds('CHATWIRE_RUN_TTL_MS');
  if (runTtlMs !== undefined) config.runTtlMs = runTtlMs;
  const leaseMs = milliseconds('CHATWIRE_LEASE_MS');
  if (leaseMs !== undefined && leaseMs < 300) throw new ConfigError('CHATWIRE_LEASE_MS must be at least 300');
  if (leaseMs !== undefined) config.leaseMs = leaseMs;
  const windowOf = (name: string) => {
    const window = value(name);
    if (window === undefined) return undefined;
    if (!/^\d+$/.test(window) || Number(window) > MAX_WRITE_BEHIND_MS)
      throw new ConfigError(`${name} must be milliseconds from 0 to ${MAX_WRITE_BEHIND_MS}, got "${window}"`);
    return Number(window);
  };
  const writeBehindMs = windowOf('CHATWIRE_WRITE_BEHIND_MS');
  if (writeBehindMs !== undefined) config.writeBehindMs = writeBehindMs;
  const tokenWindowMs = windowOf('CHATWIRE_TOKEN_WINDOW_MS');
  if (tokenWindowMs !== undefined) config.tokenWindowMs = tokenWindowMs;
  return config;
}
