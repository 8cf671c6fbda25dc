// POST /query-sets (a write): a FASTA uploaded as multipart/form-data becomes
// a query set. The file part is streamed to a private temporary file (at most
// PROTEA_API_UPLOAD_MAX_BYTES; 413 beyond), then produced onto the FASTA
// ingest topic exactly as `protea produce fasta FILE --query-set NAME` does
// (topics/ingest-runs.ts fastaRun + topics/produce.ts): one job, lines the
// reader rejects dead-lettered with file, line and reason, bad sequences
// dead-lettered by the dedup stage. The answer (202) comes once every record
// is on the topic; the pipeline lands them and the job succeeds when all have
// landed or were dead-lettered.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { ProteaError, classify } from '../../lib/errors.js';
import { uuidv7 } from '../../lib/ids.js';
import { ensureJobRow, failQueuedJob } from '../../lib/queries/jobs.js';
import { topicName } from '../../topics/catalogue.js';
import { fastaRun } from '../../topics/ingest-runs.js';
import { produce } from '../../topics/produce.js';
import { QUERY_SET_ACCEPTED } from '../job-schemas.js';
import type { ApiDependencies } from '../server.js';

/** Multipart overhead (boundaries, part headers, the small fields) allowed above the file limit in Content-Length. */
const ENVELOPE_BYTES = 64 * 1024;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,199}$/;
const FIELDS = ['name', 'source'];

const tooLarge = (max: number, what: string) =>
  new ProteaError('PAYLOAD_TOO_LARGE', `the upload ${what} is larger than the limit of ${max} bytes (PROTEA_API_UPLOAD_MAX_BYTES)`, { field: 'file' });

/** A file name safe to create in our own temporary folder (its base name, odd characters replaced). */
function safeFileName(raw: string | undefined): string {
  const base = path.basename(raw ?? '').replace(/[^A-Za-z0-9_.+-]/g, '_').replace(/^\.+/, '').slice(0, 120);
  return base || 'upload.fasta';
}

export function registerQuerySetUpload(app: FastifyInstance, deps: ApiDependencies): void {
  const max = deps.settings.apiUploadMaxBytes;
  app.post(
    '/query-sets',
    {
      config: { write: true },
      schema: {
        summary: 'Upload a FASTA (multipart/form-data: part `file`; optional fields `name`, `source`) as a query set; 202 with its id and job',
        tags: ['query sets'],
        consumes: ['multipart/form-data'],
        response: { 202: QUERY_SET_ACCEPTED },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        const type = request.headers['content-type'];
        throw new ProteaError('UNSUPPORTED_MEDIA_TYPE', `POST /query-sets takes multipart/form-data with the FASTA in a part named "file", not ${type ? JSON.stringify(type.split(';')[0]) : 'a body without a Content-Type'}`, { field: 'content-type' });
      }
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > max + ENVELOPE_BYTES) throw tooLarge(max, `(Content-Length ${declared})`);

      const dir = await mkdtemp(path.join(tmpdir(), 'protea-upload-'));
      try {
        const fields: Record<string, string> = {};
        let file: { path: string; name: string; bytes: number } | undefined;
        try {
          for await (const part of request.parts({ limits: { fileSize: max, files: 1, fields: FIELDS.length, fieldSize: 1024, parts: FIELDS.length + 1 } })) {
            if (part.type === 'file') {
              if (part.fieldname !== 'file') {
                part.file.resume();
                throw new ProteaError('USAGE', `the file part is named "${part.fieldname}"; name it "file" (curl -F file=@my.fasta)`, { field: part.fieldname });
              }
              const target = path.join(dir, safeFileName(part.filename));
              await pipeline(part.file, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
              if (part.file.truncated) throw tooLarge(max, `file "${part.filename}"`);
              file = { path: target, name: part.filename || path.basename(target), bytes: (await stat(target)).size };
            } else {
              if (!FIELDS.includes(part.fieldname)) throw new ProteaError('USAGE', `unknown form field "${part.fieldname}" (the fields are file, ${FIELDS.join(', ')})`, { field: part.fieldname });
              fields[part.fieldname] = String(part.value);
            }
          }
        } catch (err) {
          if (err instanceof ProteaError) throw err;
          const e = err as { statusCode?: number; code?: string; message?: string };
          if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(max, 'file');
          if (e.code === 'FST_PARTS_LIMIT' || e.code === 'FST_FILES_LIMIT' || e.code === 'FST_FIELDS_LIMIT') {
            throw new ProteaError('USAGE', `the form has too many parts (${e.message}): send one file part "file" and at most the fields ${FIELDS.join(', ')}`, { field: 'file' });
          }
          throw new ProteaError('USAGE', `the multipart body could not be read: ${e.message ?? String(err)}`, { field: 'file', hint: 'Send a well-formed multipart/form-data body, e.g. curl -F file=@my.fasta -H "Authorization: Bearer $TOKEN" URL/query-sets.' });
        }
        if (!file) throw new ProteaError('USAGE', 'the form has no file part: send the FASTA as a part named "file" (curl -F file=@my.fasta)', { field: 'file' });
        if (file.bytes === 0) throw new ProteaError('USAGE', `the uploaded file "${file.name}" is empty`, { field: 'file' });
        const name = fields.name ?? file.name.replace(/\.(fasta|fa|faa|fas)(\.gz)?$/i, '').replace(/\.gz$/i, '');
        if (!NAME_PATTERN.test(name)) {
          throw new ProteaError('USAGE', `form field "name" = ${JSON.stringify(name.slice(0, 80))}: a query set name is 1-200 letters, digits and _ . : @ + -, starting with a letter or digit`, { field: 'name' });
        }
        const source = fields.source ?? 'upload';
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(source)) throw new ProteaError('USAGE', `form field "source" = ${JSON.stringify(source.slice(0, 80))}: 1-64 letters, digits, _ . -`, { field: 'source' });

        const run = fastaRun(file.path, { querySet: name, source });
        const querySetId = run.payload.query_set_id as string;
        const jobId = uuidv7();
        const payload = { ...run.payload, file: file.name, uploaded_as: file.name, bytes: file.bytes, token: request.apiToken?.name ?? null };
        request.audit.target = `query_set:${querySetId}`;
        request.audit.jobId = jobId;
        // the job is readable (and streamable) at once, before the jobs sink has stored its first event
        await ensureJobRow(deps.db, { id: jobId, operation: run.operation, queueName: 'ingest', payload: { ...payload, topic: topicName(run.topicId, deps.namespace) } });
        let report;
        try {
          report = await produce({ ...run, payload }, { producer: deps.producer(), namespace: deps.namespace, progress: null, jobId });
        } catch (err) {
          const e = classify(err);
          await failQueuedJob(deps.db, jobId, { code: e.code, message: e.message }).catch((failed: unknown) => request.log.warn({ err: failed, jobId }, 'could not mark the upload job that failed to start'));
          throw err;
        }
        void reply.code(202).header('location', `/query-sets/${querySetId}`);
        return {
          query_set_id: querySetId,
          query_set_name: name,
          job_id: report.jobId,
          topic: report.topic,
          records_sent: report.sent,
          records_rejected: report.rejected,
          bytes: file.bytes,
          links: { query_set: `/query-sets/${querySetId}`, job: `/jobs/${report.jobId}`, stream: `/jobs/${report.jobId}/stream` },
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}
