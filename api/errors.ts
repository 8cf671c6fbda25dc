// How failures become HTTP answers: every error body is
// { error: HTTP reason phrase, code: PROTEA_ERR_..., message, hint } (plus the
// parameter at fault when there is one), Fastify's own shape with the
// project's stable codes. Bad input is a 4xx naming the parameter; only what
// the client cannot fix is a 5xx, and those are logged with their stack.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CATALOGUE, ProteaError, classify, type ErrorName } from '../lib/errors.js';
import { parameterHint } from './params.js';

const API_HINT = 'The routes and their parameters are listed at GET /openapi.json (readable at /docs).';

export interface ErrorBody {
  /** the HTTP reason phrase of the status, e.g. "Not Found" */
  error: string;
  /** the stable code (README, Error codes) */
  code: `PROTEA_ERR_${ErrorName}`;
  message: string;
  hint: string;
  /** the path or query parameter at fault, when there is one */
  parameter?: string;
}

/** The HTTP status of a catalogued error: the catalogue's (lib/errors.ts). */
export function httpStatus(err: ProteaError): number {
  return CATALOGUE[err.key].http;
}

export const reason = (status: number): string => STATUS_CODES[status] ?? 'Error';

export function errorBody(err: ProteaError): ErrorBody {
  const body: ErrorBody = { error: reason(httpStatus(err)), code: err.code, message: err.message, hint: err.hint };
  if (typeof err.context.field === 'string') body.parameter = err.context.field;
  return body;
}

/** A 404 for an id that names no row of `what` (e.g. 'evaluation set'). */
export function notFound(what: string, id: string, hint: string): ProteaError {
  return new ProteaError('NOT_FOUND', `no ${what} has the id ${id}`, { field: 'id', hint });
}

/** A 400 naming the query parameter at fault. */
export function badParameter(name: string, message: string, hint?: string): ProteaError {
  return new ProteaError('USAGE', message, { field: name, hint: hint ?? parameterHint(name) ?? API_HINT });
}

/** Statuses of Fastify's and its plugins' own errors that have a code of their own. */
const FASTIFY_4XX: Record<number, ErrorName> = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED' };

interface ValidationItem {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

const WHERE: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', body: 'body field', headers: 'header' };

/** A schema validation failure, as a USAGE error naming the parameter, what was given and what is expected. */
function validationError(err: FastifyError, request: FastifyRequest): ProteaError {
  const first = (err.validation?.[0] ?? { keyword: '', instancePath: '', params: {} }) as ValidationItem;
  const context = err.validationContext ?? 'querystring';
  const where = WHERE[context] ?? context;
  if (first.keyword === 'additionalProperties') {
    const name = String(first.params.additionalProperty);
    return new ProteaError('USAGE', `unknown ${where} "${name}"`, { field: name, hint: `Remove it or check its spelling. ${API_HINT}` });
  }
  const name = first.keyword === 'required' ? String(first.params.missingProperty) : first.instancePath.replace(/^\//, '').split('/')[0] || '?';
  if (first.keyword === 'required') return badParameter(name, `missing ${where} "${name}"`);
  // the value as the client sent it (the validator may already have coerced it)
  const given = context === 'querystring' ? (new URLSearchParams(request.url.split('?')[1] ?? '').get(name) ?? undefined) : (request.params as Record<string, unknown> | undefined)?.[name];
  const expectation = first.keyword === 'pattern' ? 'has the wrong format' : (first.message ?? 'is invalid');
  return badParameter(name, `${where} "${name}"${given === undefined ? '' : ` = ${JSON.stringify(given)}`} ${expectation}`);
}

/** Sends an error in the common shape; 5xx are logged with the cause. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: ProteaError): FastifyReply {
  const status = httpStatus(err);
  const body = errorBody(err);
  // a write's audit row records the code it was refused with (validation and parser errors included)
  if (request.audit) request.audit.errorCode = err.code;
  if (status >= 500) {
    request.log.error({ err: err.cause ?? err, code: err.code, reqId: request.id }, `${request.method} ${request.url} failed: ${err.message}`);
    // an unexpected failure's text is for the log, not for clients
    if (err.key === 'INTERNAL') body.message = `internal error while serving ${request.method} ${request.url.split('?')[0]} (request ${request.id}); the server log has the details`;
  }
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="protea"');
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** The error and not-found handlers of the whole API. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) return sendError(request, reply, validationError(err, request));
    if (err instanceof ProteaError) return sendError(request, reply, err);
    // Fastify's and its plugins' own 4xx (malformed URL, unsupported media type, body too large ...): the client's to fix.
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      const key: ErrorName = FASTIFY_4XX[err.statusCode] ?? 'USAGE';
      const e = new ProteaError(key, err.message, key === 'USAGE' ? { hint: API_HINT } : {});
      if (request.audit) request.audit.errorCode = e.code;
      return reply.code(err.statusCode).type('application/json; charset=utf-8').send({ ...errorBody(e), error: reason(err.statusCode) } satisfies ErrorBody);
    }
    const classified = classify(err, { component: 'api' });
    const sqlstate = classified.context.sqlstate;
    if (sqlstate === '57014' || err.name === 'StatementTimeoutError') {
      return sendError(request, reply, new ProteaError('QUERY_TIMEOUT', `the query of ${request.method} ${request.url.split('?')[0]} ran past the API's statement timeout and was cancelled`, {}, { cause: err }));
    }
    if (sqlstate === '42P01' || sqlstate === '42703') {
      // undefined table or column: the database is behind this build's migrations, not a bug in the request
      return sendError(request, reply, new ProteaError('DB_UNAVAILABLE', `the database schema is not up to date: ${classified.message}`, { hint: 'Run `protea db migrate` against PROTEA_DB_URL of the API process.' }, { cause: err }));
    }
    return sendError(request, reply, classified);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).type('application/json; charset=utf-8').send({
      error: reason(404),
      code: 'PROTEA_ERR_NOT_FOUND',
      message: `no route ${request.method} ${path}`,
      hint: API_HINT,
    } satisfies ErrorBody);
  });
}
