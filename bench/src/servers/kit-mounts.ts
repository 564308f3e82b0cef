import type { Server } from 'node:http';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createAdaptorServer } from '@hono/node-server';
import { isClientDisconnect, type ChatKit } from '@chatwire/server-kit';
import { chatKitPlugin } from '@chatwire/server-kit/fastify';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import type { KitAdapter } from '../adapters.js';
import { closeServer, createHttpServer, HTTP_SERVER_OPTIONS, listen } from './bench-server.js';

/** The kit mounted in a framework, listening on a loopback port. */
export interface MountedKit {
  server: Server;
  url: string;
  /** Closes the framework and every connection (after `kit.close()`). */
  close(): Promise<void>;
}

/**
 * Mounts `kit` the way its README shows for each framework, with the framework's defaults, on an `http.Server` with the
 * reference server's timeouts, and attaches the WS mode to that server. The kit is the only thing mounted: what is
 * measured is the adapter and the framework's own per-request work, not an app's other routes.
 */
export async function mountKit(kit: ChatKit, adapter: KitAdapter): Promise<MountedKit> {
  const server = await frameworkServer(kit, adapter);
  kit.attachWebSocket(server.server);
  return { ...server, url: await server.listen() };
}

async function frameworkServer(
  kit: ChatKit,
  adapter: KitAdapter,
): Promise<{ server: Server; listen(): Promise<string>; close(): Promise<void> }> {
  const plain = (server: Server) => ({ server, listen: () => listen(server), close: () => closeServer(server) });
  switch (adapter) {
    case 'koa': {
      // As examples/koa-server builds it.
      const app = new Koa();
      app.proxy = true;
      app.silent = true;
      app.on('error', (error: unknown) => {
        if (!isClientDisconnect(error)) console.error('koa error', error instanceof Error ? error.message : error);
      });
      app.use(kit.middleware());
      return plain(createHttpServer(app.callback()));
    }
    case 'node':
      return plain(createHttpServer(kit.handler()));
    case 'express': {
      const app = express();
      app.use(kit.handler());
      return plain(createHttpServer(app));
    }
    case 'fastify': {
      // serverFactory: the same http.Server options as the others (Fastify would set its own timeouts otherwise).
      const fastify = Fastify({ serverFactory: (handler) => createHttpServer(handler) });
      await fastify.register(chatKitPlugin, { kit });
      await fastify.ready();
      return {
        server: fastify.server,
        // Ready (plugins loaded, hooks in place), the factory's server listens like the others, as Fastify's docs show.
        listen: () => listen(fastify.server),
        async close() {
          fastify.server.closeAllConnections();
          await fastify.close();
        },
      };
    }
    case 'hono': {
      const app = new Hono();
      app.all('/*', (c) => kit.fetch(c.req.raw, { clientAddress: getConnInfo(c).remote.address ?? '' }));
      // What `serve({ fetch: app.fetch })` creates, before it listens.
      return plain(createAdaptorServer({ fetch: app.fetch, serverOptions: HTTP_SERVER_OPTIONS }) as Server);
    }
    default: {
      const unreachable: never = adapter;
      return unreachable;
    }
  }
}
