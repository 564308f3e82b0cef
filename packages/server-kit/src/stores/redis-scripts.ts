/**
 * The Redis store's Lua scripts. Each runs atomically, so a run gets exactly one terminal event even when its writer,
 * a reaper (dead writer) and a cancel race, and seqs stay consecutive. Every script takes `prefix` and builds key
 * names the same way as `createRedisKeys`.
 */

// Shared by the scripts that write events. seq '' means "the next one": used to end a run from outside its writer.
const APPEND = `
local function keysOf(prefix, id)
  local meta = prefix .. 'run:{' .. id .. '}'
  return meta, meta .. ':events', meta .. ':text'
end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The run's follower count across instances after adding delta (0 for an unknown run).
local function followers(prefix, id, delta)
  local meta = keysOf(prefix, id)
  if redis.call('HEXISTS', meta, 'info') == 0 then return 0 end
  local count = redis.call('HINCRBY', meta, 'followers', delta)
  if count < 0 then
    redis.call('HSET', meta, 'followers', 0)
    count = 0
  end
  return count
end
-- batch: nil for a single append; in a batch, what its appends share (the time, the writers whose lease was extended).
local function append(prefix, id, seqArg, json, text, terminal, status, ttl, activeTtl, maxLen, batch)
  local meta, events, textKey = keysOf(prefix, id)
  local f = redis.call('HMGET', meta, 'ended', 'last_seq', 'idem', 'driver', 'slot', 'lease', 'kept')
  -- A run has a last_seq from its creation on; a hash without one is not a run (or only its admission slot).
  if not f[2] then return 'missing' end
  if f[1] == '1' then return 'ended' end
  local last = tonumber(f[2])
  local seq = tonumber(seqArg)
  if seq == nil then
    seq = last + 1
    local event = cjson.decode(json)
    event['id'] = id
    event['seq'] = seq
    json = cjson.encode(event)
  elseif seq ~= last + 1 then
    return 'order'
  end
  redis.call('XADD', events, 'MAXLEN', '~', maxLen, '0-' .. (seq + 1), 'e', json)
  local length = 0
  if text ~= '' then length = redis.call('APPEND', textKey, text) end
  -- A writer that is writing is alive, however late its heartbeat timer (a saturated event loop): each event it
  -- writes extends its lease. Terminal events are left out: a reaper ends runs with them.
  -- In a batch, once per writer is enough: the batch is one moment.
  local now
  if batch then
    batch.now = batch.now or nowMs()
    now = batch.now
  end
  if terminal ~= '1' and f[4] and f[6] and not (batch and batch.extended[f[4]]) then
    redis.call('ZADD', prefix .. 'instances', 'XX', 'GT', (now or nowMs()) + tonumber(f[6]), f[4])
    if batch then batch.extended[f[4]] = true end
  end
  local keep = activeTtl
  if terminal == '1' then
    redis.call('HSET', meta, 'last_seq', seq, 'status', status, 'ended', '1', 'terminal', json)
    keep = ttl
    if f[4] then redis.call('SREM', prefix .. 'instance:' .. f[4] .. ':runs', id) end
    if f[5] then redis.call('ZREM', f[5], id) end
  elseif batch then
    -- While a run is written, its keys are kept a tenth longer than activeTtl and extended only once less than
    -- activeTtl is left: one PEXPIRE of each key every few minutes of a run's life instead of three per event.
    local kept = tonumber(f[7])
    if kept and kept - now >= tonumber(activeTtl) then
      redis.call('HSET', meta, 'last_seq', seq, 'status', status)
      -- The run's first token just created the text key: it expires with the others.
      if length > 0 and length == #text then redis.call('PEXPIREAT', textKey, kept) end
      return 'ok'
    end
    keep = activeTtl + math.floor(activeTtl / 10)
    redis.call('HSET', meta, 'last_seq', seq, 'status', status, 'kept', now + keep)
  else
    -- A single append (ends a run from outside, rebuilds a lost one): keys kept exactly activeTtl from now.
    redis.call('HSET', meta, 'last_seq', seq, 'status', status)
    redis.call('HDEL', meta, 'kept')
  end
  redis.call('PEXPIRE', meta, keep)
  redis.call('PEXPIRE', events, keep)
  redis.call('PEXPIRE', textKey, keep)
  if f[3] then redis.call('PEXPIRE', f[3], keep) end
  return 'ok'
end
`;

/**
 * ARGV: prefix, id, info JSON, activeTtl, idempotency key name ('' none), its value, and optionally what the creation
 * also does: `start` event JSON ('' none), its status, ttl, maxLen, then the instance id that claims the run ('' none)
 * and its leaseMs (as CLAIM) → {'created'} | {'held', value} | {'duplicate'}.
 */
export const CREATE = `${APPEND}
local prefix, id, info, activeTtl, idemKey, idemValue, start, status, ttl, maxLen, instance, leaseMs = unpack(ARGV)
local meta = keysOf(prefix, id)
if redis.call('HEXISTS', meta, 'info') == 1 then return {'duplicate'} end
if idemKey ~= '' then
  local holder = redis.call('GET', idemKey)
  if holder then return {'held', holder} end
  redis.call('SET', idemKey, idemValue, 'PX', activeTtl)
  redis.call('HSET', meta, 'idem', idemKey)
end
redis.call('HSET', meta, 'info', info, 'status', 'pending', 'last_seq', -1)
redis.call('PEXPIRE', meta, activeTtl)
if start and start ~= '' then
  append(prefix, id, '0', start, '', '0', status, ttl, activeTtl, maxLen)
end
if instance and instance ~= '' then
  redis.call('HSET', meta, 'driver', instance, 'lease', leaseMs)
  local runs = prefix .. 'instance:' .. instance .. ':runs'
  redis.call('SADD', runs, id)
  redis.call('PEXPIRE', runs, activeTtl)
end
return {'created'}`;

/** ARGV: prefix, id, seq ('' next), event JSON, text, terminal '1'|'0', status, ttl, activeTtl, maxLen → 'ok' | 'missing' | 'ended' | 'order'. */
export const APPEND_EVENT = `${APPEND}
return append(unpack(ARGV))`;

/**
 * ARGV: prefix, ttl, activeTtl, maxLen, then six per event: id, seq, event JSON, text, terminal '1'|'0', status →
 * one result per event, as APPEND_EVENT's. The events of a run are appended in the order given, each checked like a
 * single append, so an event refused (the run ended meanwhile, a lost lease reaped) refuses the rest of its run too.
 * Six arguments with seq 'followers' (id, 'followers', delta, '', '0', '') add delta to the run's follower count
 * across instances instead, and answer the new count as a string ('0' for an unknown run).
 */
export const APPEND_BATCH = `${APPEND}
local prefix, ttl, activeTtl, maxLen = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local results, batch = {}, { extended = {} }
for i = 5, #ARGV, 6 do
  if ARGV[i + 1] == 'followers' then
    results[#results + 1] = tostring(followers(prefix, ARGV[i], ARGV[i + 2]))
  else
    results[#results + 1] = append(prefix, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5],
      ttl, activeTtl, maxLen, batch)
  end
end
return results`;

/** ARGV: prefix, id, instance id, activeTtl, leaseMs → {info JSON, last seq, text, status} when claimed, else nil. */
export const CLAIM = `${APPEND}
local prefix, id, instance, activeTtl, leaseMs = unpack(ARGV)
local meta, _, textKey = keysOf(prefix, id)
local f = redis.call('HMGET', meta, 'ended', 'driver', 'cancel', 'info', 'last_seq', 'status')
if not f[4] or f[1] == '1' or f[3] == '1' or (f[2] and f[2] ~= instance) then return nil end
redis.call('HSET', meta, 'driver', instance, 'lease', leaseMs)
local runs = prefix .. 'instance:' .. instance .. ':runs'
redis.call('SADD', runs, id)
redis.call('PEXPIRE', runs, activeTtl)
return {f[4], f[5], redis.call('GET', textKey) or '', f[6]}`;

/**
 * ARGV: prefix, id, channel, `cancelled` error JSON, ttl, activeTtl, maxLen → 1 when asked, 0 when unknown or ended.
 * A run nobody has claimed yet (a queued job) is ended here; otherwise its writer hears it on the channel.
 */
export const CANCEL = `${APPEND}
local prefix, id, channel, json, ttl, activeTtl, maxLen = unpack(ARGV)
local meta = keysOf(prefix, id)
local f = redis.call('HMGET', meta, 'ended', 'driver', 'info')
if not f[3] or f[1] == '1' then return 0 end
redis.call('HSET', meta, 'cancel', '1')
if f[2] then
  redis.call('PUBLISH', channel, id)
else
  append(prefix, id, '', json, '', '1', 'cancelled', ttl, activeTtl, maxLen)
end
return 1`;

/**
 * ARGV: prefix, instance id, leaseMs, activeTtl. Renews the instance's lease (in Redis time, so clocks may differ) → 1, or 0
 * when there was no lease or it had run out (other instances may have ended its runs meanwhile).
 */
export const HEARTBEAT = `${APPEND}
local prefix, instance, leaseMs, activeTtl = unpack(ARGV)
local instances = prefix .. 'instances'
local now = nowMs()
local deadline = tonumber(redis.call('ZSCORE', instances, instance) or '0')
redis.call('ZADD', instances, now + tonumber(leaseMs), instance)
redis.call('PEXPIRE', instances, activeTtl)
redis.call('PEXPIRE', prefix .. 'instance:' .. instance .. ':runs', activeTtl)
if deadline < now then return 0 end
return 1`;

/**
 * ARGV: prefix, `interrupted` error JSON, ttl, activeTtl, maxLen → runs ended. Ends every run of every instance whose
 * lease ran out, then forgets the instance. Several reapers may run at once: a run only ever gets one terminal event.
 */
export const REAP = `${APPEND}
local prefix, json, ttl, activeTtl, maxLen = unpack(ARGV)
local instances = prefix .. 'instances'
local ended = 0
for _, instance in ipairs(redis.call('ZRANGEBYSCORE', instances, '-inf', nowMs(), 'LIMIT', 0, 10)) do
  local runs = prefix .. 'instance:' .. instance .. ':runs'
  for _, id in ipairs(redis.call('SMEMBERS', runs)) do
    if append(prefix, id, '', json, '', '1', 'failed', ttl, activeTtl, maxLen) == 'ok' then ended = ended + 1 end
  end
  redis.call('DEL', runs, prefix .. 'instance:' .. instance .. ':wake')
  redis.call('ZREM', instances, instance)
end
return ended`;

/**
 * ARGV: prefix, id, info JSON, last seq, partial text, `interrupted` error JSON, ttl, activeTtl, maxLen.
 * Ends a run whose writer lost Redis mid-run. If Redis came back empty, the run is first rebuilt from what the writer
 * knew (info, last seq, text) so a client resuming after its last seq gets a clear `interrupted` instead of a 404.
 */
export const RECOVER = `${APPEND}
local prefix, id, info, lastSeq, partial, json, ttl, activeTtl, maxLen = unpack(ARGV)
local meta, _, textKey = keysOf(prefix, id)
if redis.call('HEXISTS', meta, 'info') == 0 then
  redis.call('HSET', meta, 'info', info, 'status', 'processing', 'last_seq', lastSeq)
  if partial ~= '' then redis.call('SET', textKey, partial) end
end
return append(prefix, id, '', json, '', '1', 'failed', ttl, activeTtl, maxLen)`;

/**
 * ARGV: prefix, active set key, run id, max, missing-run grace ms, set ttl → 1 admitted, 0 refused. When the set is
 * full, first drops runs that have ended or vanished. The run's hash remembers its slot (`slot`, kept `grace` ms until the run is
 * created), so the terminal event frees it wherever and however the run ends, and an idle principal leaves no key.
 */
export const ADMIT = `${APPEND}
local prefix, key, id, max, grace, ttl = unpack(ARGV)
local now = nowMs()
-- A run leaves the set with its terminal event (or its release, if it never came to be): only runs that vanished
-- (expired unended) linger. So the set is only pruned when it is full, not read run by run at every admission.
if redis.call('ZCARD', key) >= tonumber(max) then
  local members = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #members, 2 do
    local meta = keysOf(prefix, members[i])
    local f = redis.call('HMGET', meta, 'ended', 'last_seq')
    if f[1] == '1' or (not f[2] and tonumber(members[i + 1]) < now - tonumber(grace)) then
      redis.call('ZREM', key, members[i])
    end
  end
  if redis.call('ZCARD', key) >= tonumber(max) then return 0 end
end
redis.call('ZADD', key, now, id)
redis.call('PEXPIRE', key, ttl)
local meta = keysOf(prefix, id)
redis.call('HSET', meta, 'slot', key)
if redis.call('HEXISTS', meta, 'info') == 0 then redis.call('PEXPIRE', meta, grace) end
return 1`;

/** ARGV: prefix, active set key, run id. Frees the run's slot if the run has ended or never came to be. */
export const RELEASE = `${APPEND}
local prefix, key, id = unpack(ARGV)
local meta = keysOf(prefix, id)
local f = redis.call('HMGET', meta, 'ended', 'last_seq')
if f[1] == '1' then redis.call('ZREM', key, id) end
if not f[2] then
  redis.call('ZREM', key, id)
  redis.call('DEL', meta)
end
return 1`;

// The job queue's (queues/redis-stream.ts), registered with the store's so they exist before its first command.
// Queues a job unless its run is queued already. ARGV: stream, mark key, job JSON, mark TTL.
export const JOB_ENQUEUE = `
if not redis.call('SET', ARGV[2], '1', 'NX', 'PX', ARGV[4]) then return 0 end
redis.call('XADD', ARGV[1], '*', 'job', ARGV[3], 'mark', ARGV[2])
return 1`;
// A job done: acknowledged, removed from the stream, its mark dropped. ARGV: stream, mark key, group, entry id.
export const JOB_DONE = `
redis.call('XACK', ARGV[1], ARGV[3], ARGV[4])
redis.call('XDEL', ARGV[1], ARGV[4])
redis.call('DEL', ARGV[2])
return 1`;
// A job taken by a worker without a free slot, put back at the end of the stream for any worker (its mark stays).
// ARGV: stream, group, entry id, the entry's fields and values.
export const JOB_REQUEUE = `
if redis.call('XACK', ARGV[1], ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('XDEL', ARGV[1], ARGV[3])
redis.call('XADD', ARGV[1], '*', unpack(ARGV, 4))
return 1`;

const SCRIPTS = {
  create: CREATE,
  append: APPEND_EVENT,
  appendBatch: APPEND_BATCH,
  claim: CLAIM,
  cancel: CANCEL,
  heartbeat: HEARTBEAT,
  reap: REAP,
  recover: RECOVER,
  admit: ADMIT,
  release: RELEASE,
  jobEnqueue: JOB_ENQUEUE,
  jobDone: JOB_DONE,
  jobRequeue: JOB_REQUEUE,
} as const;

/** Runs one of the scripts by name with string/number arguments (all ARGV). */
export type RunScript = (name: keyof typeof SCRIPTS, ...args: Array<string | number>) => Promise<unknown>;

/** Minimal shape of an ioredis client that can hold scripts. */
interface ScriptHost {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
}

/**
 * Registers the scripts on `client` (ioredis sends them by SHA and reloads them after a Redis restart) and returns a
 * caller for them.
 */
export function defineScripts(client: ScriptHost): RunScript {
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(`chatwire_${name}`, { numberOfKeys: 0, lua });
  return scriptsOf(client);
}

/** A caller for the scripts {@link defineScripts} registered on `client`. */
export function scriptsOf(client: object): RunScript {
  const commands = client as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>;
  return (name, ...args) =>
    (commands[`chatwire_${name}`] as (...args: Array<string | number>) => Promise<unknown>)(...args);
}
