/**
 * The kit mounted the way a user of each framework would, from the README's snippets, each beside a route of the
 * framework's own (`GET /own`) that must keep working: Koa, node:http, Express 5, Fastify 5, and Hono on
 * `@hono/node-server` through `kit.fetch`.
 */
import { createServer, type Server } from 'node:http';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import type { ChatKit } from '../../src/index.js';
import { chatKitPlugin } from '../../src/fastify.js';

export const ADAPTERS = ['koa', 'node', 'express', 'fastify', 'hono'] as const;
export type Adapter = (typeof ADAPTERS)[number];
/** What `GET /own` answers in every framework. */
export const OWN_ROUTE_TEXT = 'the framework still serves its own routes';

export interface Mounted {
  server: Server;
  close(): Promise<void>;
}

export async function mountKit(kit: ChatKit, adapter: Adapter, basePath: string): Promise<Mounted> {
  switch (adapter) {
    case 'koa': {
      const app = new Koa();
      app.silent = true;
      app.use(kit.middleware());
      app.use(async (ctx, next) => {
        if (ctx.path !== '/own') return next();
        ctx.body = OWN_ROUTE_TEXT;
      });
      return listen(createServer(app.callback()));
    }
    case 'node': {
      const handle = kit.handler();
      return listen(
        createServer((request, response) =>
          handle(request, response, () => {
            response.statusCode = request.url === '/own' ? 200 : 404;
            response.end(request.url === '/own' ? OWN_ROUTE_TEXT : 'not found');
          }),
        ),
      );
    }
    case 'express': {
      const app = express();
      // The kit first, then the app's own body parser and routes: invalid JSON to the kit gets the protocol's error.
      app.use(kit.handler());
      app.use(express.json());
      app.get('/own', (_request, response) => void response.send(OWN_ROUTE_TEXT));
      return listen(createServer(app));
    }
    case 'fastify': {
      const fastify = Fastify();
      fastify.get('/own', async () => OWN_ROUTE_TEXT);
      await fastify.register(chatKitPlugin, { kit });
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      return { server: fastify.server, close: () => fastify.close() };
    }
    case 'hono': {
      const app = new Hono();
      app.get('/own', (c) => c.text(OWN_ROUTE_TEXT));
      app.all(`${basePath}/*`, (c) => kit.fetch(c.req.raw, { clientAddress: getConnInfo(c).remote.address ?? '' }));
      const server = await new Promise<Server>((resolve) => {
        const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
      });
      return { server, close: () => new Promise((resolve) => server.close(() => resolve())) };
    }
    default: {
      const unreachable: never = adapter;
      return unreachable;
    }
  }
}

async function listen(server: Server): Promise<Mounted> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
