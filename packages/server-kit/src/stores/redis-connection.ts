import type { Socket } from 'node:net';
import { Redis } from 'ioredis';

/**
 * Connection settings that fail fast while Redis is away: a command waits for at most one reconnection attempt before
 * it is rejected (so a request answers `503` within about a second instead of hanging), and reconnection keeps trying
 * every second at most, so service resumes on its own once Redis is back.
 */
const FAIL_FAST = {
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  retryStrategy: (times: number) => Math.min(times * 100, 1000),
};

/**
 * Opens an ioredis connection to `url` with fail-fast settings. Not auto-pipelined: the store sends its appends as one
 * script call per batch already, and ioredis's per-tick pipeline cost about as much CPU again per command (138 vs 71 µs
 * per two round trips in a loop on the bench machine).
 */
export function createRedisConnection(url: string): Redis {
  const client = new Redis(url, { ...FAIL_FAST, enableAutoPipelining: false });
  // Failures surface on the commands that hit them (and in /readyz); without a listener ioredis prints each one.
  client.on('error', () => {});
  writeOncePerTick(client);
  return client;
}

/**
 * Makes `client` write the commands it is given together as one write: the socket is corked at the first command and
 * uncorked in `process.nextTick`, so the commands sent in the same synchronous run, or in the same round of promise
 * reactions, go out together (from a timer or I/O callback, the reactions it triggers run after the uncork and take a
 * write of their own). A command sent in a pipeline or `MULTI` joins a cork already open but opens none.
 * Redis then reads them at once and answers them in one write, so commands sent together (a run's admission count
 * and its rate limit, a batch of appends and a read) cost one wake-up of each side instead of one per command, without
 * the `Pipeline` ioredis's auto-pipelining builds for every command.
 */
export function writeOncePerTick(client: Redis): void {
  const send = client.sendCommand.bind(client);
  let corked: Socket | undefined;
  client.sendCommand = ((command, stream) => {
    const socket = client.stream as Socket | undefined;
    if (corked === undefined && stream === undefined && client.status === 'ready' && socket?.writable) {
      corked = socket;
      socket.cork();
      process.nextTick(() => {
        corked = undefined;
        socket.uncork();
      });
    }
    return send(command, stream);
  }) as Redis['sendCommand'];
}

/** Another connection to the same Redis, for a blocking read or a subscription; never resends a command on reconnect. */
export function duplicateConnection(client: Redis): Redis {
  const duplicate = client.duplicate({
    ...FAIL_FAST,
    enableAutoPipelining: false,
    autoResendUnfulfilledCommands: false,
  });
  duplicate.on('error', () => {});
  return duplicate;
}

/**
 * Waits for `reply`, a blocking command sent on `connection` (a duplicate of its own). Such a command in flight when
 * the connection dropped may never settle: ioredis neither resends nor rejects it when the reconnection succeeds at
 * once. So the wait is given up when the connection closes, after `giveUpAfterMs`, or when the function handed to
 * `onStop` is called (the caller closing); then the connection is disconnected (open another) and the answer is
 * `undefined`.
 */
export async function awaitBlocking<T>(
  connection: Redis,
  reply: Promise<T>,
  giveUpAfterMs: number,
  onStop: (stop: (() => void) | undefined) => void,
): Promise<T | undefined> {
  const givenUp = Symbol('given up');
  let timer: NodeJS.Timeout | undefined;
  let stop: (() => void) | undefined;
  const stopped = new Promise<typeof givenUp>((resolve) => {
    timer = setTimeout(() => resolve(givenUp), giveUpAfterMs);
    stop = () => resolve(givenUp);
    connection.once('close', stop);
  });
  onStop(stop);
  try {
    const answer = await Promise.race([reply, stopped]);
    if (answer !== givenUp) return answer as T;
    reply.catch(() => {});
    connection.disconnect();
    return undefined;
  } finally {
    clearTimeout(timer);
    if (stop) connection.off('close', stop);
    onStop(undefined);
  }
}
