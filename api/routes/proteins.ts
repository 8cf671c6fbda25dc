// GET /proteins (filtered by taxon, reviewed flag and a name prefix),
// /proteins/:accession (isoforms, taxonomy, sequence, annotations by set) and
// /proteins/:accession/predictions (across prediction sets).
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { getProtein, proteinAnnotations, proteinFamily, proteinKnown, proteinsPage, type AnnotationRow } from '../../lib/queries/proteins.js';
import { getPredictionSetDetail } from '../../lib/queries/reference-lists.js';
import { decodeCursor, page } from '../pagination.js';
import { aspectOf, sendPredictions, type PredictionQuery } from '../prediction-responses.js';
import { PROTEIN, PROTEIN_DETAIL, READ_DEFAULT_LIMIT, pageSchema, readSchema } from '../read-schemas.js';
import { PREDICTION_RESPONSES, SET_HINT } from './prediction-sets.js';

/** The most annotation rows GET /proteins/:accession returns (a well-studied protein has a few hundred). */
export const MAX_PROTEIN_ANNOTATIONS = 5000;

const PROTEIN_HINT = 'Look proteins up with GET /proteins?q=PREFIX; they come from `protea produce fasta` (UniProt FASTA) and from query sets.';

function unknownProtein(accession: string): ProteaError {
  return new ProteaError('NOT_FOUND', `no protein has the accession ${accession}`, { field: 'accession', hint: PROTEIN_HINT });
}

/** GAF rows grouped by annotation set, in the order they came (newest set first). */
function groupAnnotations(rows: readonly AnnotationRow[]) {
  const sets = new Map<string, { annotation_set_id: string; source: string; source_version: string | null; obo_version: string; annotations: unknown[] }>();
  for (const r of rows) {
    let set = sets.get(r.annotation_set_id);
    if (!set) {
      set = { annotation_set_id: r.annotation_set_id, source: r.source, source_version: r.source_version, obo_version: r.obo_version, annotations: [] };
      sets.set(r.annotation_set_id, set);
    }
    set.annotations.push({
      protein_accession: r.protein_accession,
      go_id: r.go_id,
      go_name: r.go_name,
      aspect: r.aspect,
      qualifier: r.qualifier,
      evidence_code: r.evidence_code,
      db_reference: r.db_reference,
      with_from: r.with_from,
      assigned_by: r.assigned_by,
      annotation_date: r.annotation_date,
    });
  }
  return [...sets.values()];
}

export function registerProteinRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { taxonomy_id?: number; reviewed?: boolean; q?: string; limit?: number; after?: string } }>(
    '/proteins',
    {
      schema: {
        summary: 'Proteins by accession, filtered by taxon, reviewed flag and the start of the accession, entry name or gene name',
        tags: ['proteins'],
        querystring: readSchema(['taxonomy_id', 'reviewed', 'q', 'limit', 'after']),
        response: { 200: pageSchema('proteins', PROTEIN) },
      },
    },
    async (request) => {
      const { taxonomy_id, reviewed, q } = request.query;
      const limit = request.query.limit ?? READ_DEFAULT_LIMIT;
      const key = decodeCursor(request.query.after, ['string']);
      const rows = await proteinsPage(
        db,
        { ...(taxonomy_id !== undefined ? { taxonomyId: taxonomy_id } : {}), ...(reviewed !== undefined ? { reviewed } : {}), ...(q !== undefined ? { q } : {}) },
        { limit: limit + 1, ...(key ? { after: key[0] as string } : {}) },
      );
      const { items, next } = page(rows, limit, (r) => [r.accession]);
      return { proteins: items, next };
    },
  );

  app.get<{ Params: { accession: string } }>(
    '/proteins/:accession',
    {
      schema: {
        summary: 'One protein: its canonical accession and isoforms, taxon, sequence and GO annotations grouped by annotation set',
        tags: ['proteins'],
        params: readSchema(['accession'], ['accession']),
        response: { 200: PROTEIN_DETAIL },
      },
    },
    async (request) => {
      const { accession } = request.params;
      const p = await getProtein(db, accession);
      if (!p) throw unknownProtein(accession);
      const [family, annotations] = await Promise.all([
        proteinFamily(db, p.canonical_accession),
        proteinAnnotations(db, [...new Set([p.accession, p.canonical_accession])], MAX_PROTEIN_ANNOTATIONS + 1),
      ]);
      const { scientific_name, rank, parent_tax_id, sequence, sequence_md5, sequence_length, ...protein } = p;
      return {
        ...protein,
        isoforms: family,
        taxonomy: p.taxonomy_id === null ? null : { tax_id: p.taxonomy_id, scientific_name, rank, parent_tax_id },
        sequence: sequence === null || sequence_md5 === null ? null : { md5: sequence_md5, length: sequence_length ?? sequence.length, sequence },
        annotation_sets: groupAnnotations(annotations.slice(0, MAX_PROTEIN_ANNOTATIONS)),
        annotations_truncated: annotations.length > MAX_PROTEIN_ANNOTATIONS,
      };
    },
  );

  app.get<{ Params: { accession: string }; Querystring: PredictionQuery }>(
    '/proteins/:accession/predictions',
    {
      schema: {
        summary: 'The predictions for one protein across prediction sets (or in one), as JSON pages, CAFA TSV or Arrow',
        description: 'Rows come by prediction set; top=N is the best N terms per set. Format as for GET /prediction-sets/{id}/predictions.',
        tags: ['predictions', 'proteins'],
        params: readSchema(['accession'], ['accession']),
        querystring: readSchema(['format', 'limit', 'after', 'prediction_set_id', 'aspect', 'min_score', 'go_id', 'top', 'features']),
        response: PREDICTION_RESPONSES,
      },
    },
    async (request, reply) => {
      const { accession } = request.params;
      const q = request.query;
      const aspect = aspectOf(q.aspect);
      const setId = q.prediction_set_id?.toLowerCase();
      if (setId !== undefined && !(await getPredictionSetDetail(db, setId))) {
        throw new ProteaError('NOT_FOUND', `no prediction set has the id ${setId}`, { field: 'prediction_set_id', hint: SET_HINT });
      }
      const filter = {
        protein: accession,
        ...(setId !== undefined ? { setId } : {}),
        ...(aspect ? { aspect } : {}),
        ...(q.min_score !== undefined ? { minScore: q.min_score } : {}),
        ...(q.go_id !== undefined ? { goId: q.go_id } : {}),
      };
      const metadata = () => new Map([
        ['protein', accession],
        ['filters', JSON.stringify({ prediction_set_id: setId ?? null, aspect: aspect ?? null, min_score: q.min_score ?? null, go_id: q.go_id ?? null, top: q.top ?? null })],
        ['created_by', 'protea-stream api'],
      ]);
      return sendPredictions(request, reply, db, q, filter, 'set', metadata, async () => {
        if (!(await proteinKnown(db, accession))) throw unknownProtein(accession);
      });
    },
  );
}
