import WebSocket from 'ws';
import type { ChatTimer } from './chat-timer.js';
import { abortable, type TargetClient, type TargetClientOptions } from './target-client.js';

interface Pending {
  timer: ChatTimer;
  resolve: (tokens: number) => void;
  reject: (error: Error) => void;
}

/**
 * chatwire's WebSocket (the kit and the bare floor take the same chat frame and send the same events): one socket per
 * virtual user, opened by its first chat (so that chat's time includes the handshake) and kept for the next ones.
 */
export function createWsClient(options: TargetClientOptions): TargetClient {
  const url = `${options.url.replace(/^http/, 'ws')}/ws/chat`;
  let requestIds = 0;
  return {
    session() {
      let socket: WebSocket | undefined;
      let opened: Promise<void> | undefined;
      let pending: Pending | undefined;
      const fail = (error: Error) => {
        pending?.reject(error);
        pending = undefined;
      };
      const connect = () => {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        socket = ws;
        ws.on('message', (data: Buffer) => {
          if (!pending) return;
          const text = data.toString();
          // Tokens are most frames: recognise them without parsing (a token's text cannot contain the unescaped key).
          if (text.includes('"type":"token"')) return pending.timer.token();
          const frame = JSON.parse(text) as { type: string; usage?: { completion_tokens: number }; code?: string };
          if (frame.type === 'done') {
            pending.resolve(frame.usage?.completion_tokens ?? 0);
            pending = undefined;
          } else if (frame.type === 'error') fail(new Error(frame.code ?? 'error'));
        });
        ws.on('close', () => fail(new Error('socket closed')));
        ws.on('error', (error) => fail(error));
        return new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
      };
      return {
        async chat(request, timer, signal) {
          opened ??= connect();
          await opened;
          const done = new Promise<number>((resolve, reject) => (pending = { timer, resolve, reject }));
          socket?.send(JSON.stringify({ type: 'chat', request_id: `r${++requestIds}`, ...request }));
          return Promise.race([done, abortable(signal, () => socket?.terminate())]);
        },
        async close() {
          if (!socket || socket.readyState === WebSocket.CLOSED) return;
          const closed = new Promise<void>((resolve) => socket?.once('close', () => resolve()));
          socket.close();
          await closed;
        },
      };
    },
    close: () => Promise.resolve(),
  };
}
