import { io, type Socket } from 'socket.io-client';
import type { ChatTimer } from './chat-timer.js';
import { abortable, type TargetClient, type TargetClientOptions } from './target-client.js';

/** Socket.IO: one socket per virtual user (WebSocket transport, no reconnection); `chat` out, `token`s and `done` in. */
export function createSocketIoClient(options: TargetClientOptions): TargetClient {
  return {
    session() {
      let socket: Socket | undefined;
      let current: { timer: ChatTimer; resolve: (tokens: number) => void; reject: (error: Error) => void } | undefined;
      const connect = () => {
        const client = io(options.url, { transports: ['websocket'], forceNew: true, reconnection: false });
        socket = client;
        client.on('token', () => current?.timer.token());
        client.on('done', (usage: { completion_tokens: number }) => {
          current?.resolve(usage.completion_tokens);
          current = undefined;
        });
        client.on('disconnect', () => current?.reject(new Error('socket disconnected')));
        return new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('connect_error', reject);
        });
      };
      let connected: Promise<void> | undefined;
      return {
        async chat(request, timer, signal) {
          connected ??= connect();
          await connected;
          const done = new Promise<number>((resolve, reject) => (current = { timer, resolve, reject }));
          socket?.emit('chat', request);
          return Promise.race([done, abortable(signal, () => socket?.disconnect())]);
        },
        async close() {
          socket?.disconnect();
        },
      };
    },
    close: () => Promise.resolve(),
  };
}
