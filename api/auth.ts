// Bearer tokens for the API's writes (PROTEA_API_TOKENS). No token configured
// means the writes are off and every write route says so (403
// WRITES_DISABLED); a missing or unknown token is 401, a valid token without
// the admin mark on an admin route is 403. Secrets are compared in constant
// time over their SHA-256 digests, so neither content nor length leaks.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SETTINGS } from '../lib/config.js';
import { ProteaError } from '../lib/errors.js';

export interface ApiToken {
  /** what the audit log records; never the secret */
  readonly name: string;
  readonly admin: boolean;
  readonly digest: Buffer;
}

const MIN_SECRET = 16;
const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/** PROTEA_API_TOKENS: `name:secret[:admin]`, comma-separated. */
export function parseTokens(raw: string): ApiToken[] {
  const tokens: ApiToken[] = [];
  const names = new Set<string>();
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const parts = item.split(':');
    const [name, secret, mark] = parts;
    const bad = (why: string) =>
      new ProteaError('CONFIG_INVALID', `${SETTINGS.apiTokens.env}: the token "${name ?? ''}" ${why}`, {
        field: SETTINGS.apiTokens.env,
        hint: 'Each token is `name:secret` or `name:secret:admin`, comma-separated; names are letters, digits, _ . -; secrets at least 16 characters without commas or colons.',
      });
    if (parts.length < 2 || parts.length > 3) throw bad('is not name:secret or name:secret:admin');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name!)) throw bad('has a name that is not 1-64 letters, digits, _ . -');
    if (secret!.length < MIN_SECRET) throw bad(`has a secret shorter than ${MIN_SECRET} characters`);
    if (mark !== undefined && mark !== 'admin') throw bad(`ends in ":${mark}"; the only mark is ":admin"`);
    if (names.has(name!)) throw bad('is named twice');
    names.add(name!);
    tokens.push({ name: name!, admin: mark === 'admin', digest: digest(secret!) });
  }
  return tokens;
}

/** The token a request presents, checked; throws the 401/403 the client gets. */
export function authenticate(tokens: readonly ApiToken[], request: FastifyRequest, opts: { admin?: boolean } = {}): ApiToken {
  if (tokens.length === 0) {
    const what = opts.admin ? 'needs an admin token' : 'is a write';
    throw new ProteaError('WRITES_DISABLED', `${request.method} ${request.routeOptions.url ?? request.url} ${what}, and this API has no tokens configured (PROTEA_API_TOKENS): its writes and admin routes are off`);
  }
  const header = request.headers.authorization;
  if (!header) throw new ProteaError('UNAUTHORIZED', 'this route needs a token: no Authorization header was sent', { field: 'authorization' });
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new ProteaError('UNAUTHORIZED', 'the Authorization header is not `Bearer SECRET`', { field: 'authorization' });
  const presented = digest(m[1]!);
  // every token is compared, so the time does not say which one matched
  let found: ApiToken | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, presented)) found = t;
  if (!found) throw new ProteaError('UNAUTHORIZED', 'the token is not one of this API\'s tokens', { field: 'authorization' });
  if (opts.admin && !found.admin) throw new ProteaError('FORBIDDEN', `the token "${found.name}" is not an admin token`, { field: 'authorization' });
  return found;
}
