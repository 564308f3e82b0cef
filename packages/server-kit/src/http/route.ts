import type { KitRequest, KitResponse } from './kit-request.js';

/** One route of the kit, written once against {@link KitRequest} for every adapter. */
export interface Route {
  method: 'GET' | 'POST';
  /** A path with `:name` segments, e.g. `/api/runs/:id`, below the kit's `basePath`. */
  path: string;
  /** Served without authentication (`/healthz`, `/readyz`, `/openapi.json`, `/metrics`). */
  open?: boolean;
  handle(request: KitRequest, params: Readonly<Record<string, string>>): Promise<KitResponse> | KitResponse;
}

/** A compiled route table: which route serves a request, and which methods a path allows. */
export interface RouteTable {
  /** The route and its parameters for `method` and `path` (`HEAD` finds `GET` routes). */
  find(method: string, path: string): { route: Route; params: Record<string, string> } | undefined;
  /** The methods some route allows on `path`; empty when no route has this path. */
  allowed(path: string): string[];
}

/** Compiles routes into a {@link RouteTable}. Segments match exactly; a `:name` segment matches one non-empty segment. */
export function createRouteTable(routes: readonly Route[]): RouteTable {
  const compiled = routes.map((route) => ({ route, segments: route.path.split('/') }));
  const match = (segments: readonly string[], path: string): Record<string, string> | undefined => {
    const parts = path.split('/');
    if (parts.length !== segments.length) return undefined;
    const params: Record<string, string> = {};
    for (let index = 0; index < parts.length; index++) {
      const pattern = segments[index] as string;
      const part = parts[index] as string;
      if (pattern.startsWith(':')) {
        if (part === '') return undefined;
        params[pattern.slice(1)] = safeDecode(part);
      } else if (pattern !== part) return undefined;
    }
    return params;
  };
  return {
    find(method, path) {
      const wanted = method === 'HEAD' ? 'GET' : method;
      for (const { route, segments } of compiled) {
        if (route.method !== wanted) continue;
        const params = match(segments, path);
        if (params) return { route, params };
      }
      return undefined;
    },
    allowed(path) {
      const methods = new Set<string>();
      for (const { route, segments } of compiled) if (match(segments, path)) methods.add(route.method);
      if (methods.has('GET')) methods.add('HEAD');
      return [...methods];
    },
  };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
