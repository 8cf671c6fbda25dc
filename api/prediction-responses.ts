// The answer of the two prediction routes (GET /prediction-sets/ID/predictions,
// GET /proteins/ACCESSION/predictions) in the negotiated format: a JSON page
// (keyset cursor), CAFA TSV lines or an Arrow IPC stream. TSV and Arrow stream
// the whole filtered result from a server-side cursor; each write waits for
// the client when its socket pushes back (lib's Output), so memory stays at one batch.
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DatabasePool } from '../lib/db.js';
import { cafaLine } from '../lib/prediction-formats.js';
import { PredictionsArrowStream } from '../lib/predictions-arrow.js';
import { Output, recordOf } from '../lib/predictions-export.js';
import {
  predictionRowsPage,
  streamFullPredictionRows,
  streamTermScores,
  topPredictionsPage,
  type GroupBy,
  type PageRow,
  type PredictionFilter,
  type PredictionRow,
  type RowKey,
  type TopKey,
} from '../lib/queries/predictions.js';
import { isUuid } from '../lib/queries/annotation-sets.js';
import { featuresOf } from '../lib/queries/prediction-export.js';
import { badParameter } from './errors.js';
import { badCursor, decodeCursor, page } from './pagination.js';
import { MEDIA_TYPE, checkPaging, negotiateFormat, parseAspect, type ReadFormat } from './read-formats.js';
import { READ_DEFAULT_LIMIT, READ_PARAMETERS } from './read-schemas.js';

export interface PredictionQuery {
  format?: ReadFormat;
  limit?: number;
  after?: string;
  protein?: string;
  aspect?: string;
  min_score?: number;
  go_id?: string;
  top?: number;
  prediction_set_id?: string;
  /** JSON rows carry a `features` object (TSV and Arrow ignore it: CAFA is score-only, Arrow has every feature column anyway) */
  features?: boolean;
}

/** The aspect letter of ?aspect=, or a 400 naming it. */
export function aspectOf(raw: string | undefined): 'P' | 'F' | 'C' | undefined {
  if (raw === undefined) return undefined;
  const a = parseAspect(raw);
  if (!a) throw badParameter('aspect', `query parameter "aspect" = ${JSON.stringify(raw)} is not a GO aspect`, READ_PARAMETERS.aspect.description);
  return a;
}

/** A value PostgreSQL's integer takes (cursor keys compared with integer columns: larger ones would be a cast error). */
const isInt4 = (v: unknown): boolean => Number.isInteger(v) && Math.abs(v as number) <= 2147483647;

function rowJson(r: PageRow & { rank?: number }, features: boolean) {
  const out: Record<string, unknown> = {
    prediction_set_id: r.prediction_set_id,
    protein: r.protein,
    go_id: r.go_id,
    go_name: r.go_name,
    aspect: r.aspect,
    score: r.score,
    ref_protein: r.ref_protein,
    distance: r.distance,
    evidence_code: r.evidence_code,
    qualifier: r.qualifier,
  };
  if (r.rank !== undefined) out.rank = r.rank;
  // every feature column, null ones included: a client tells "not computed" from "absent column" by the key
  if (features) out.features = featuresOf(r);
  return out;
}

/**
 * Answers a prediction read. `by` is what rows group by after the fixed
 * filter: the protein (a set's predictions) or the set (a protein's).
 * `metadata` goes into the Arrow schema (called after `mustExist`, which may
 * be what looks its contents up).
 */
export async function sendPredictions(
  request: FastifyRequest,
  reply: FastifyReply,
  db: DatabasePool,
  q: PredictionQuery,
  filter: PredictionFilter,
  by: GroupBy,
  metadata: () => ReadonlyMap<string, string>,
  /** throws when what the filter names does not exist; a JSON page calls it only when it comes back empty (a row proves it) */
  mustExist: () => Promise<void> = async () => {},
): Promise<unknown> {
  const format = negotiateFormat(request.headers.accept, q.format);
  checkPaging(format, q);
  const groupOf = (r: PredictionRow) => (by === 'protein' ? r.protein : r.prediction_set_id);
  const groupOk = (g: string) => by === 'protein' || isUuid(g);

  if (format === 'json') {
    const limit = q.limit ?? READ_DEFAULT_LIMIT;
    const features = q.features === true;
    if (q.top !== undefined) {
      const key = decodeCursor(q.after, ['string', 'number']) as TopKey | undefined;
      if (key && (!groupOk(key[0]) || !isInt4(key[1]))) throw badCursor(q.after);
      const rows = await topPredictionsPage(db, filter, by, { top: q.top, limit: limit + 1, features, ...(key ? { after: key } : {}) });
      if (rows.length === 0) await mustExist();
      const { items, next } = page(rows, limit, (r) => [groupOf(r), r.rank]);
      return { predictions: items.map((r) => rowJson(r, features)), next };
    }
    const key = decodeCursor(q.after, ['string', 'number', 'number']) as RowKey | undefined;
    if (key && (!groupOk(key[0]) || !isInt4(key[1]) || !Number.isSafeInteger(key[2]))) throw badCursor(q.after);
    const rows = await predictionRowsPage(db, filter, by, { limit: limit + 1, features, ...(key ? { after: key } : {}) });
    if (rows.length === 0) await mustExist();
    const { items, next } = page(rows, limit, (r) => [groupOf(r), r.go_term_id, r.id]);
    return { predictions: items.map((r) => rowJson(r, features)), next };
  }

  await mustExist(); // before the status line: a stream cannot turn into a 404 later
  const out = new PassThrough();
  const output = new Output(out);
  const produce =
    format === 'tsv'
      ? async () => {
          await streamTermScores(db, filter, by, q.top, async (r) => {
            const line = cafaLine(r.protein, r.go_id, r.score);
            if (line !== null) await output.writeText(line);
          });
          await output.flush();
        }
      : async () => {
          const arrow = new PredictionsArrowStream(metadata(), 8192, [{ name: 'prediction_set_id', kind: 'text', nullable: false }]);
          await streamFullPredictionRows(db, filter, by, q.top, async (r) => {
            const record = { prediction_set_id: r.prediction_set_id, ...recordOf(r, r.term_score) }; // the extra column of this stream
            await output.writeBytes(arrow.add(record));
          });
          await output.writeBytes(arrow.finish());
        };
  // The status line goes out with the first bytes: a failure before them (e.g. the
  // statement timeout) is answered with the error body by the error handler, which
  // logs it; one after them can only cut the stream short, and is logged here.
  produce().then(
    () => out.end(),
    (err: unknown) => {
      if (!out.destroyed && reply.raw.headersSent) request.log.error({ err, reqId: request.id }, `${request.method} ${request.url} failed while streaming ${format}`);
      out.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  );
  return reply.type(MEDIA_TYPE[format]).header('cache-control', 'no-store').send(out);
}
