import { randomBytes } from 'node:crypto';
import { isTerminalEvent, type DoneEvent, type ErrorEvent, type RunEvent, type RunStatus } from '@chatwire/protocol';
import type { Redis } from 'ioredis';
import { ChatError } from '../chat-error.js';
import { statusAfter } from '../run-status.js';
import type {
  CreateOptions,
  CreateResult,
  IdempotencyClaim,
  RunInfo,
  RunState,
  RunStore,
  WaitOptions,
} from '../store.js';
import { createRedisCancels } from './redis-cancels.js';
import { createRedisConnection, duplicateConnection } from './redis-connection.js';
import { createRedisKeys, storeUnavailable, type RedisKeys } from './redis-keys.js';
import { createRedisLease } from './redis-lease.js';
import { createRunMirrors } from './redis-mirror.js';
import { defineScripts } from './redis-scripts.js';
import { createRedisTail } from './redis-tail.js';
import { createWriteBehind, type QueuedAppend } from './redis-write-behind.js';

/** Options of {@link createRedisRunStore}: a `url`, or a `client` you keep (the store only duplicates it). */
export interface RedisRunStoreOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://`). */
  url?: string;
  /** An ioredis client to use instead of `url`; the store does not close it. */
  client?: Redis;
  /** Prefix of every key and channel (default `chatwire:`); instances sharing runs must share it. */
  prefix?: string;
  /** How long an ended run stays readable (default 10 minutes). */
  ttlMs?: number;
  /**
   * A run with no new event for this long is dropped even if it never ended (default 1 hour); while it is written, its
   * keys are extended a tenth beyond this and only every tenth of it, so it may stay up to 10% longer.
   */
  activeTtlMs?: number;
  /** Cap of each run's event stream (default 10,000, above the default 4,096 tokens); older events are trimmed. */
  maxEventsPerRun?: number;
  /**
   * How long an instance counts as alive after its last lease renewal (every third of it) or the last event it wrote,
   * before other instances end its runs with `interrupted` (default 3 s).
   */
  leaseMs?: number;
  /**
   * How long an appended event may wait for others (of any run this instance writes) to go to Redis with it in one
   * script call (default 4 ms; 0: each event on its own). Each append still resolves only once Redis has it.
   */
  writeBehindMs?: number;
  /**
   * How long a run's later token events (after its first) and its `done` may wait for others (default 16 ms, a frame
   * at 60 Hz: a reader sees the stream, and its end, in steps no longer than one frame; 0 or below `writeBehindMs`:
   * `writeBehindMs`). The first token waits `writeBehindMs` only, so the time to first token is unchanged; `start` and
   * an `error` event (a cancel, a failure) go at once.
   */
  tokenWindowMs?: number;
  /** A batch this large (UTF-16 units of event JSON and text) goes at once (default 64 KiB). */
  writeBehindBytes?: number;
  /**
   * How long tokens of a run no client streams live (`sync`, `polling`) gather before they are written, after the
   * first token (default 100 ms, below the polls' default 150 ms `linger`; 0: written like streamed runs). The end of
   * the run, a failure or a cancel writes them at once. See {@link RunStore.quietRunWindowMs}.
   */
  quietRunWindowMs?: number;
  /**
   * The same for a `sync` run, from its first token on (default 1 s): its client reads nothing before the end, and a
   * client resuming it in another mode sees its tokens in steps this long. See {@link RunStore.syncRunWindowMs}.
   */
  syncRunWindowMs?: number;
}

/** A {@link RunStore} in Redis, plus what the other Redis helpers of this instance share with it. */
export interface RedisRunStore extends RunStore {
  readonly client: Redis;
  readonly keys: RedisKeys;
  /** This process's id in the leases. */
  readonly instanceId: string;
  countFollowers(id: string, delta: number): Promise<number>;
  ping(): Promise<void>;
  /**
   * Whether this process created run `id` (and forgets it). A created run's hash holds its admission slot, which its
   * terminal event frees wherever it ends: the run counter has nothing to release for it.
   */
  forgetCreated(id: string): boolean;
}

// Runs created here whose release has not come yet (a run's creation and its release are close together; the cap
// only bounds what a failure between them would leave behind), and `start` events of runs not yet claimed here.
const RECENT_CAP = 10_000;
// How long an ended run's mirror still answers its readers here.
const KEEP_ENDED_MS = 1000;

/** Sets `key` in a map that drops its oldest entry past {@link RECENT_CAP}. */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.set(key, value);
  if (map.size > RECENT_CAP) map.delete(map.keys().next().value as string);
}

/**
 * A {@link RunStore} that several instances share, so any instance can poll, follow, resume or cancel any run. Each
 * run's events are a Redis Stream (XADD capped at `maxEventsPerRun`, followed with one multiplexed XREAD BLOCK per
 * process), its state a hash, both expiring `ttlMs` after the run ends (`activeTtlMs` after its last event while it
 * runs). Cancels travel on a pub/sub channel to the instance writing the run; a lease that instance renews tells the
 * others when it died, and they end its runs with `interrupted`.
 *
 * @example
 * const store = createRedisRunStore({ url: process.env.REDIS_URL });
 * const kit = createChatKit({ store });
 */
export function createRedisRunStore(options: RedisRunStoreOptions): RedisRunStore {
  if (!options.client && !options.url) throw new TypeError('createRedisRunStore needs a url or a client');
  const client = options.client ?? createRedisConnection(options.url as string);
  const keys = createRedisKeys(options.prefix);
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const activeTtlMs = options.activeTtlMs ?? 60 * 60_000;
  const maxEvents = options.maxEventsPerRun ?? 10_000;
  // The last three arguments of every script that may end a run.
  const expiry = [ttlMs, activeTtlMs, maxEvents] as const;
  const instanceId = randomBytes(9).toString('base64url');
  const leaseMs = options.leaseMs ?? 3000;
  const run = defineScripts(client);
  const interrupted = new ChatError('interrupted', 'the server running this answer stopped; retry it').toPayload();
  const interruptedJson = JSON.stringify({ type: 'error', ...interrupted });
  const cancelledJson = JSON.stringify({
    type: 'error',
    ...new ChatError('cancelled', 'the run was cancelled').toPayload(),
  });
  const mirrors = createRunMirrors(maxEvents, Math.min(KEEP_ENDED_MS, ttlMs / 2));
  const created = new Map<string, true>();
  // The `start` events this process appended, until it claims their run (the mirror then starts with them).
  const starts = new Map<string, RunEvent>();
  // Claims on their way: a read of the run waits for the claim and is then answered by the mirror.
  const claims = new Map<string, Promise<boolean>>();
  const claimed = async (id: string) => {
    const claiming = claims.get(id);
    if (claiming) await claiming.catch(() => false);
  };
  const windowMs = options.writeBehindMs ?? 4;
  const writes = createWriteBehind({
    windowMs,
    // No window at all (0) sends every event at once, later tokens too.
    laterMs: windowMs > 0 ? Math.max(windowMs, options.tokenWindowMs ?? 16) : 0,
    maxBytes: options.writeBehindBytes ?? 64 * 1024,
    async send(batch: QueuedAppend[]) {
      const args: Array<string | number> = [keys.prefix, ...expiry];
      for (const { id, seq, json, text, terminal, status, followers } of batch) {
        if (followers === undefined) args.push(id, seq, json, text, terminal ? '1' : '0', status);
        else args.push(id, 'followers', followers, '', '0', '');
      }
      return (await run('appendBatch', ...args)) as string[];
    },
  });
  const lost = new Set<string>();
  // Set by close(): appends from then on are sent at once.
  let closing = false;
  const tail = createRedisTail({
    connect: () => duplicateConnection(client),
    writer: client,
    keys,
    instanceId,
    onEntry: (id, seq) => mirrors.seen(id, seq),
  });
  // Runs claimed with their creation whose driver has not asked for the claim yet, and cancels they heard meanwhile.
  const preclaimed = new Map<string, true>();
  const unheardCancels = new Set<string>();
  const cancels = createRedisCancels(duplicateConnection(client), keys.cancel, (id) => {
    if (preclaimed.has(id)) unheardCancels.add(id);
  });
  const lease = createRedisLease({
    client,
    run,
    keys,
    instanceId,
    ttlMs,
    activeTtlMs,
    maxEvents,
    interruptedJson,
    leaseMs,
    onRenewed: finishLostRuns,
    onExpired: () => mirrors.distrustAll(),
  });
  void lease.renew();

  /** After an outage: end the runs whose writes failed (rebuilding them if Redis came back empty); re-check cancels. */
  async function finishLostRuns(): Promise<void> {
    for (const id of [...lost]) {
      const mirror = mirrors.get(id);
      if (!mirror) {
        lost.delete(id);
        continue;
      }
      await run('recover', keys.prefix, id, mirror.info, mirror.lastSeq, mirror.text, interruptedJson, ...expiry);
      lost.delete(id);
      mirrors.forget(id);
    }
    // A cancel published while the subscription was reconnecting is still in the run's hash. Read only after such a
    // gap: once per renewal it was a command per running run every second.
    const checked = cancels.mayHaveMissed();
    if (!checked) return;
    // Every run listened to here, mirrored or not yet (a claim still on its way has a listener and no mirror yet;
    // this read goes behind its claim on the same connection).
    const ids = cancels.listened();
    const flags = await Promise.all(ids.map((id) => client.hget(keys.meta(id), 'cancel')));
    checked();
    ids.forEach((id, index) => flags[index] === '1' && cancels.dispatch(id));
  }

  /** Runs a Redis call; connection failures become `503 overloaded` and mark the written run as lost. */
  async function call<T>(action: () => Promise<T>, writing?: string): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (writing !== undefined && mirrors.has(writing)) {
        lost.add(writing);
        mirrors.distrust(writing);
      }
      throw storeUnavailable(error);
    }
  }

  return {
    client,
    keys,
    instanceId,
    batchesAppends: windowMs > 0,
    quietRunWindowMs: options.quietRunWindowMs ?? 100,
    syncRunWindowMs: options.syncRunWindowMs ?? 1000,

    async create(info: RunInfo, idempotency?: IdempotencyClaim, options: CreateOptions = {}): Promise<CreateResult> {
      const { id } = info;
      const idemKey = idempotency ? keys.idempotency(idempotency.key) : '';
      const idemValue = idempotency ? JSON.stringify({ runId: id, fingerprint: idempotency.fingerprint }) : '';
      const infoJson = JSON.stringify(info);
      // The creation, the `start` event and the claim in one script call (three round trips before).
      const start = options.start?.type === 'start' && options.start.seq === 0 ? options.start : undefined;
      const status = start ? statusAfter('pending', start) : 'pending';
      const claiming = options.claim === true && start !== undefined;
      if (claiming) await readyToClaim();
      const result = (await call(() =>
        run(
          'create',
          keys.prefix,
          id,
          infoJson,
          activeTtlMs,
          idemKey,
          idemValue,
          ...(start ? [JSON.stringify(start), status, ttlMs, maxEvents] : []),
          ...(claiming ? [instanceId, leaseMs] : []),
        ),
      )) as string[];
      if (result[0] === 'duplicate') throw new ChatError('internal', 'duplicate run id');
      if (result[0] === 'held')
        return { created: false, ...(JSON.parse(result[1] as string) as { runId: string; fingerprint: string }) };
      remember(created, id, true);
      if (!start) return { created: true };
      if (claiming) {
        mirrors.claim(id, { info: infoJson, lastSeq: 0, text: '', status: status as RunStatus }, start);
        remember(preclaimed, id, true);
      } else remember(starts, id, start);
      return { created: true, started: true, claimed: claiming };
    },

    async findIdempotent(key: string) {
      const value = await call(() => client.get(keys.idempotency(key)));
      return value === null ? undefined : (JSON.parse(value) as { runId: string; fingerprint: string });
    },

    async append(event: RunEvent) {
      const terminal = isTerminalEvent(event);
      const text = event.type === 'token' ? event.text : '';
      const status = statusAfter('pending', event);
      const json = JSON.stringify(event);
      mirrors.sending(event.id, event.seq);
      // Tokens wait a few ms for company (a run's first token the shortest time). The model's `done` waits like a
      // later token, behind the run's last tokens: a run's end then rides the batch of every other run's tokens
      // instead of sending one of its own. `start` and an error (a cancel, a failure) go at once, with whatever waits.
      const queued = { id: event.id, seq: event.seq, json, text, terminal, status };
      const when =
        closing || event.type === 'start' || event.type === 'error'
          ? 'now'
          : event.type === 'done' || (mirrors.get(event.id)?.text ?? '') !== ''
            ? 'later'
            : 'window';
      const result = await call(() => writes.add(queued, when), event.id);
      if (result === 'missing') {
        // Redis lost the run under its writer (restarted empty): rebuild it to end it clearly once Redis answers.
        if (mirrors.has(event.id)) {
          lost.add(event.id);
          mirrors.distrust(event.id);
        }
        throw new ChatError('not_found', 'unknown run');
      }
      if (result === 'ended' || result === 'order') {
        // A seq ahead of Redis after a write of this run failed on its way (Redis never had it): still this
        // instance's run, which `finishLostRuns` ends with `interrupted` from its mirror once Redis answers.
        // Otherwise written elsewhere (interrupted by an instance that took this one for dead): no longer ours.
        if (!(result === 'order' && lost.has(event.id))) {
          mirrors.forget(event.id);
          lost.delete(event.id);
        }
        throw new ChatError(
          'internal',
          result === 'ended' ? 'the run has already ended' : `out-of-order seq ${event.seq}`,
        );
      }
      mirrors.appended(event, text);
      if (event.type === 'start' && !mirrors.has(event.id)) remember(starts, event.id, event);
      tail.notify(event.id, event.seq);
    },

    async get(id: string) {
      await claimed(id);
      // A run written here: the same moment `read` and `waitForEvents` see, what Redis acknowledged to this process.
      const mirrored = mirrors.state(id);
      if (mirrored) return mirrored;
      const [hash, text] = await call(() => Promise.all([client.hgetall(keys.meta(id)), client.get(keys.text(id))]));
      if (hash.info === undefined) return undefined;
      const state: RunState = {
        info: JSON.parse(hash.info) as RunInfo,
        status: (hash.status ?? 'pending') as RunStatus,
        partial: text ?? '',
        last_seq: Number(hash.last_seq ?? -1),
      };
      if (hash.terminal !== undefined) state.terminal = JSON.parse(hash.terminal) as DoneEvent | ErrorEvent;
      return state;
    },

    async read(id: string, after: number, limit = Number.POSITIVE_INFINITY) {
      await claimed(id);
      const local = mirrors.read(id, after);
      if (local) return Number.isFinite(limit) ? local.slice(0, Math.max(0, limit)) : local;
      const from = `0-${Math.max(0, after + 1) + 1}`;
      const count = Number.isFinite(limit) ? ['COUNT', Math.max(0, limit)] : [];
      const [exists, entries] = await call(() =>
        Promise.all([
          client.hexists(keys.meta(id), 'info'),
          limit <= 0 ? [] : client.xrange(keys.events(id), from, '+', ...(count as ['COUNT', number])),
        ]),
      );
      if (exists === 0) return undefined;
      return entries.map(([, fields]) => JSON.parse(fields[1] as string) as RunEvent);
    },

    async waitForEvents(id: string, after: number, { timeoutMs, signal }: WaitOptions) {
      if (signal?.aborted || timeoutMs <= 0) return;
      await claimed(id);
      // Written here: an append wakes the wait directly, with no Redis command before or after.
      if (await mirrors.wait(id, after, timeoutMs, signal)) return;
      const [lastSeq, ended] = await client.hmget(keys.meta(id), 'last_seq', 'ended').catch(() => [null, null]);
      // Unknown, ended or already newer: return at once; the caller's next read tells which (or reports the outage).
      if (lastSeq === null || ended === '1' || Number(lastSeq) > after) return;
      await tail.wait(id, Number(lastSeq), timeoutMs, signal);
    },

    async requestCancel(id: string) {
      // Tokens still waiting reach Redis before the cancel flag, as they would have without the window.
      void writes.flush();
      const asked = await call(() => run('cancel', keys.prefix, id, keys.cancel, cancelledJson, ...expiry));
      // The writer may be this process: no need to wait for the message to come back.
      if (asked === 1) cancels.dispatch(id);
      return asked === 1;
    },

    onCancel(id: string, listener: () => void) {
      const off = cancels.on(id, listener);
      // Claimed with its creation, the run could hear a cancel before its driver listened: it hears it now.
      if (unheardCancels.delete(id)) queueMicrotask(listener);
      return off;
    },

    claim(id: string) {
      // Claimed with its creation: nothing left to do.
      if (preclaimed.delete(id)) return Promise.resolve(true);
      const claiming = claim(id);
      claims.set(id, claiming);
      void claiming.then(
        () => claims.delete(id),
        () => claims.delete(id),
      );
      return claiming;
    },

    async countFollowers(id: string, delta: number) {
      // With the next batch of events, a few milliseconds later: the count only decides, after a grace period of
      // seconds, whether a run nobody reads any more is cancelled. Some changes to the count of a run this process
      // writes wait for the next batch (that run's next event if nothing sooner; a second at most) instead of going
      // in a call of their own: a decrease (late, it only delays a cancel) and the run's first increase (its reader
      // is the first: no instance can be counting down a grace period for the run yet). A later increase may be what
      // stops another instance's grace period from cancelling the run: it goes within the window. A read of the
      // count (delta 0) sends whatever waits.
      const change = { id, seq: -1, json: '', text: '', terminal: false, status: '', followers: delta };
      const mirror = mirrors.has(id) ? mirrors.get(id) : undefined;
      const lazy = mirror !== undefined && (delta < 0 || (delta > 0 && !mirror.counted));
      if (mirror && delta !== 0) mirror.counted = true;
      const when = lazy ? 'lazy' : 'window';
      return Number(await call(() => writes.add(change, when)));
    },

    forgetCreated: (id: string) => created.delete(id),

    async ping() {
      await call(() => client.ping());
    },

    async close() {
      // What is appended from now on goes at once: a run's end must not wait out a window behind the QUIT.
      closing = true;
      await writes.flush();
      await lease.close();
      await tail.close();
      cancels.close();
      if (!options.client) await client.quit().catch(() => client.disconnect());
    },
  };

  /** The lease and the cancel subscription must be in place before this process becomes a run's writer. */
  async function readyToClaim(): Promise<void> {
    if (!lease.healthy) await lease.renew();
    if (!lease.healthy) throw storeUnavailable(new Error('the lease could not be renewed'));
    await call(cancels.ready);
  }

  async function claim(id: string): Promise<boolean> {
    const start = starts.get(id);
    starts.delete(id);
    await readyToClaim();
    const result = (await call(() => run('claim', keys.prefix, id, instanceId, activeTtlMs, leaseMs))) as
      [string, string, string, string] | null;
    if (!result) return false;
    const [info, lastSeq, text, status] = result;
    mirrors.claim(id, { info, lastSeq: Number(lastSeq), text, status: status as RunStatus }, start);
    return true;
  }
}
