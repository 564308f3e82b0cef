import { ChatError } from '../chat-error.js';
import type { KitContext } from '../kit-context.js';
import type { KitMetrics } from '../metrics.js';
import { anonymousPrincipal, bearerToken, type Principal } from '../principal.js';
import { corsHeaders } from './cors.js';
import { errorResponse, type KitRequest, type KitResponse } from './kit-request.js';
import { createRouteTable, type Route } from './route.js';

/** The kit's HTTP side, independent of any framework: every adapter asks it whether it owns a path, then dispatches. */
export interface KitCore {
  /** The kit's `basePath` (`''` or `/prefix`). */
  readonly basePath: string;
  /** The path below `basePath` when some route of the kit has it, else undefined (the request is not the kit's). */
  ownedPath(pathname: string): string | undefined;
  /** Authenticates, routes and answers; never throws (errors are the protocol's JSON). */
  dispatch(request: KitRequest): Promise<KitResponse>;
}

/** Options of {@link createKitCore}. */
export interface KitCoreOptions {
  context: KitContext;
  routes: readonly Route[];
  metrics?: KitMetrics | undefined;
}

/** Creates the {@link KitCore} over the routes of the enabled modes. */
export function createKitCore({ context, routes, metrics }: KitCoreOptions): KitCore {
  const table = createRouteTable(routes);
  const { basePath } = context;

  async function authenticate(request: KitRequest): Promise<Principal> {
    const ip = request.clientAddress;
    if (!context.authenticate) return anonymousPrincipal(ip);
    const token = bearerToken(request.headers);
    const principal = await context.authenticate({ token, headers: request.headers, ip });
    if (!principal) throw new ChatError('unauthorized', 'a valid API key is required (Authorization: Bearer <key>)');
    return principal;
  }

  async function answer(request: KitRequest, allowed: string[]): Promise<KitResponse> {
    if (request.method === 'OPTIONS') {
      return { status: 204, headers: { Allow: [...allowed, 'OPTIONS'].join(', ') } };
    }
    const found = table.find(request.method, request.path);
    if (!found) throw new ChatError('method_not_allowed', 'this method is not allowed on this path');
    if (!found.route.open) request.principal = await authenticate(request);
    return await found.route.handle(request, found.params);
  }

  return {
    basePath,
    ownedPath(pathname) {
      if (basePath !== '' && !pathname.startsWith(`${basePath}/`)) return undefined;
      const path = pathname.slice(basePath.length);
      return table.allowed(path).length > 0 ? path : undefined;
    },
    async dispatch(request) {
      const allowed = table.allowed(request.path);
      const cors = corsHeaders(request, context.allowedOrigins, allowed);
      let response: KitResponse;
      try {
        response = await answer(request, allowed);
      } catch (caught) {
        const error = ChatError.from(caught);
        metrics?.countError(error.code);
        if (error.code === 'internal') {
          context.logger.error({ err: describe(caught), path: request.path }, 'request failed');
        }
        response = errorResponse(error);
        if (error.code === 'method_not_allowed') response.headers.Allow = [...allowed, 'OPTIONS'].join(', ');
      }
      Object.assign(response.headers, cors);
      return response;
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
