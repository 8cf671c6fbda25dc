// The guard of the API's writes and admin routes, declared on the route:
//   config: { write: true }    a write: a token of PROTEA_API_TOKENS, the
//                              write rate limit, and one api_audit row per
//                              request, refused ones included
//   config: { admin: true }    an admin read (GET /audit): an admin token
// A handler names what it touched with `request.audit.target` / `.jobId`.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProteaError } from '../lib/errors.js';
import { insertAuditRow } from '../lib/queries/api-audit.js';
import { authenticate, type ApiToken } from './auth.js';
import type { ApiDependencies } from './server.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    write?: boolean;
    admin?: boolean;
  }
  interface FastifyRequest {
    /** the token a guarded route was called with */
    apiToken: ApiToken | null;
    /** what a write touched, for its audit row */
    audit: { target?: string; jobId?: string; errorCode?: string };
  }
}

/** The rate limiter's key: the presented token (hashed), else the client address. */
export function writeRateKey(request: FastifyRequest): string {
  const auth = request.headers.authorization;
  return auth ? `token:${createHash('sha256').update(auth).digest('base64url').slice(0, 22)}` : `ip:${request.ip}`;
}

export function installWriteGuard(app: FastifyInstance, deps: ApiDependencies): void {
  app.decorateRequest('apiToken', null);
  app.decorateRequest('audit', null as unknown as FastifyRequest['audit']);
  app.addHook('onRequest', async (request) => {
    request.audit = {};
  });
  // every write route is rate-limited and documented as needing the bearer token
  app.addHook('onRoute', (route) => {
    const cfg = (route.config ?? {}) as { write?: boolean; admin?: boolean; rateLimit?: unknown };
    if (!cfg.write && !cfg.admin) return;
    if (cfg.write) route.config = { ...cfg, rateLimit: cfg.rateLimit ?? {} } as typeof route.config;
    route.schema = { ...(route.schema ?? {}), security: [{ bearer: [] }] } as typeof route.schema;
  });
  app.addHook('preHandler', async (request) => {
    const cfg = request.routeOptions.config;
    if (!cfg.write && !cfg.admin) return;
    request.apiToken = authenticate(deps.tokens, request, { admin: cfg.admin === true });
  });
  app.addHook('onError', async (request, _reply, err) => {
    if (request.audit && err instanceof ProteaError) request.audit.errorCode = err.code;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!request.routeOptions.config.write) return;
    try {
      await insertAuditRow(deps.db, {
        tokenName: request.apiToken?.name ?? null,
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0]!,
        target: request.audit?.target ?? null,
        jobId: request.audit?.jobId ?? null,
        statusCode: reply.statusCode,
        errorCode: request.audit?.errorCode ?? null,
        clientAddress: request.ip,
      });
    } catch (err) {
      // the answer has gone; a lost audit row is logged loudly, never silent
      request.log.error({ err, route: request.routeOptions.url }, 'could not write the audit row of a write request');
    }
  });
}
