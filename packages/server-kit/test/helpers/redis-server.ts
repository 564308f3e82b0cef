import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A real `redis-server` (the Debian package) on a free loopback port, started and stopped by a test. */
export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** The process id of the running server (0 while stopped). */
  readonly pid: number;
  /** Stops the server (SIGKILL by default: an outage, not a shutdown) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
}

/** A port the kernel just handed out and released; free unless something grabs it in between. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Starts `redis-server --port N --save '' --appendonly no` on 127.0.0.1 and waits until it accepts connections.
 *
 * @example
 * const redis = await startRedisServer();
 * const store = createRedisRunStore({ url: redis.url });
 * await redis.stop();
 */
export async function startRedisServer(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''];
    const process_ = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = process_;
    exited = new Promise((resolve) => process_.once('exit', () => resolve()));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      process_.stdout?.on('data', onData);
      process_.stderr?.on('data', onData);
      process_.once('error', (error) =>
        reject(new Error(`cannot start redis-server (is the Debian package installed?): ${error.message}`)),
      );
      void exited.then(() => reject(new Error(`redis-server exited: ${output}`)));
    });
  }

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? 0;
    },
    async stop(signal = 'SIGKILL') {
      child?.kill(signal);
      await exited;
      child = undefined;
    },
    async restart() {
      if (child) throw new Error('redis-server is still running');
      await launch();
    },
  };
}
