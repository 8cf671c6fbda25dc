// Reading a prediction set for export (lib/predictions-export.ts): its rows
// streamed from a server-side cursor in (protein, term, reference) order, the
// order of go_prediction's natural key index, so no sort of the whole set is
// needed and the writer can group one protein at a time; and the set's
// ontology when scores are propagated.
import { z } from 'zod';
import { buildOntology, type CompiledOntology } from '../../evaluation/ontology.js';
import { sql, type DatabasePool } from '../db.js';
import { loadOntologyTerms } from './ontology-terms.js';

/** The feature columns of go_prediction (NULL until the enricher fills them), in table order, with their kind. */
export const FEATURE_COLUMNS = [
  ['identity_nw', 'float'],
  ['similarity_nw', 'float'],
  ['alignment_score_nw', 'float'],
  ['gaps_pct_nw', 'float'],
  ['alignment_length_nw', 'float'],
  ['identity_sw', 'float'],
  ['similarity_sw', 'float'],
  ['alignment_score_sw', 'float'],
  ['gaps_pct_sw', 'float'],
  ['alignment_length_sw', 'float'],
  ['length_query', 'int'],
  ['length_ref', 'int'],
  ['query_taxonomy_id', 'int'],
  ['ref_taxonomy_id', 'int'],
  ['taxonomic_lca', 'int'],
  ['taxonomic_distance', 'int'],
  ['taxonomic_common_ancestors', 'int'],
  ['taxonomic_relation', 'text'],
  ['vote_count', 'int'],
  ['k_position', 'int'],
  ['go_term_frequency', 'float'],
  ['ref_annotation_density', 'float'],
  ['neighbor_distance_std', 'float'],
  ['neighbor_vote_fraction', 'float'],
  ['neighbor_min_distance', 'float'],
  ['neighbor_mean_distance', 'float'],
] as const;
export type FeatureColumn = (typeof FEATURE_COLUMNS)[number][0];

/** What a score-only export (CAFA) reads of a row. */
export interface ScoreRow {
  protein: string;
  go_id: string;
  score: number | null;
}

/** Every column an export writes of a row, plus what GAF needs of the query protein. */
export interface FullRow extends ScoreRow {
  go_name: string | null;
  aspect: string | null;
  ref_protein: string | null;
  distance: number | null;
  evidence_code: string | null;
  qualifier: string | null;
  features: Record<FeatureColumn, number | string | null>;
  /** query_taxonomy_id, else the protein row's NCBI taxon */
  query_taxon: number | null;
  /** the protein row's gene name, else its entry name */
  query_symbol: string | null;
}

const ScoreRowType = z.object({ protein: z.string(), go_id: z.string(), score: z.number().nullable() });
const FullRowType = z.record(z.unknown());

export interface RowFilter {
  /** only these query proteins */
  proteins?: readonly string[];
}

function proteinFilter(filter: RowFilter) {
  return filter.proteins ? sql.fragment`AND p.protein_accession = ANY(${sql.array([...filter.proteins], 'text')})` : sql.fragment``;
}

/**
 * Runs `query` on a server-side cursor and hands each row to `onRow`, awaiting
 * it: a slow consumer (a file or pipe that pushes back) pauses the cursor
 * instead of buffering the set. An error thrown by `onRow` ends the stream and
 * is the one reported.
 */
export async function consume<T>(db: DatabasePool, query: Parameters<DatabasePool['stream']>[0], onRow: (row: T) => void | Promise<void>): Promise<void> {
  let consuming: Promise<void> | undefined;
  const streaming = db.stream(query, (stream) => {
    consuming = (async () => {
      for await (const chunk of stream as AsyncIterable<{ data: T }>) {
        const r = onRow(chunk.data);
        if (r) await r;
      }
    })();
    consuming.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
  });
  try {
    await streaming;
  } catch (err) {
    if (consuming) await consuming; // the consumer's own error, when it is the cause
    throw err;
  }
  await consuming;
}

/** (protein, GO id, score) of every row of a set, in protein order. */
export async function streamScoreRows(db: DatabasePool, setId: string, onRow: (row: ScoreRow) => void | Promise<void>, filter: RowFilter = {}): Promise<void> {
  await consume<ScoreRow>(
    db,
    sql.type(ScoreRowType)`
      SELECT p.protein_accession AS protein, g.go_id, p.score
        FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
       WHERE p.prediction_set_id = ${setId} ${proteinFilter(filter)}
       ORDER BY p.protein_accession, p.go_term_id, p.ref_protein_accession`,
    onRow,
  );
}

const FEATURE_SELECT = sql.join(
  FEATURE_COLUMNS.map(([c]) => sql.identifier(['p', c])),
  sql.fragment`, `,
);

/** Every column of every row of a set (with the term's name and aspect), in protein order. */
export async function streamFullRows(db: DatabasePool, setId: string, onRow: (row: FullRow) => void | Promise<void>, filter: RowFilter = {}): Promise<void> {
  await consume<Record<string, unknown>>(
    db,
    sql.type(FullRowType)`
      SELECT p.protein_accession AS protein, g.go_id, g.name AS go_name, g.aspect, p.score,
             p.ref_protein_accession AS ref_protein, p.distance, p.evidence_code, p.qualifier,
             coalesce(p.query_taxonomy_id, q.taxonomy_id) AS query_taxon,
             coalesce(q.gene_name, q.entry_name) AS query_symbol,
             ${FEATURE_SELECT}
        FROM go_prediction p
        JOIN go_term g ON g.id = p.go_term_id
        LEFT JOIN protein q ON q.accession = p.protein_accession
       WHERE p.prediction_set_id = ${setId} ${proteinFilter(filter)}
       ORDER BY p.protein_accession, p.go_term_id, p.ref_protein_accession`,
    (r) =>
      onRow({
        ...predictionColumnsOf(r),
        query_taxon: (r.query_taxon ?? null) as number | null,
        query_symbol: (r.query_symbol ?? null) as string | null,
      }),
  );
}

/** The columns every view of a prediction row shares (exports, the API), read off a row that selected them under these names and FEATURE_SELECT. */
export function predictionColumnsOf(r: Record<string, unknown>): Omit<FullRow, 'query_taxon' | 'query_symbol'> {
  return {
    protein: r.protein as string,
    go_id: r.go_id as string,
    go_name: (r.go_name ?? null) as string | null,
    aspect: (r.aspect ?? null) as string | null,
    score: (r.score ?? null) as number | null,
    ref_protein: (r.ref_protein ?? null) as string | null,
    distance: (r.distance ?? null) as number | null,
    evidence_code: (r.evidence_code ?? null) as string | null,
    qualifier: (r.qualifier ?? null) as string | null,
    features: featuresOf(r),
  };
}

/** The feature columns of a row that selected them under their own names. */
export function featuresOf(r: Record<string, unknown>): Record<FeatureColumn, number | string | null> {
  const features = {} as Record<FeatureColumn, number | string | null>;
  for (const [c] of FEATURE_COLUMNS) features[c] = (r[c] ?? null) as number | string | null;
  return features;
}

const ASPECT_OF_NAMESPACE: Readonly<Record<string, string>> = { molecular_function: 'F', biological_process: 'P', cellular_component: 'C' };

/** The compiled is_a/part_of ontology of a snapshot, and each term's name and aspect (for propagated ancestors). */
export async function loadExportOntology(db: DatabasePool, snapshotId: string): Promise<{ ontology: CompiledOntology; terms: Map<string, { name: string | null; aspect: string | null }> }> {
  const rows = await loadOntologyTerms(db, snapshotId);
  const terms = new Map<string, { name: string | null; aspect: string | null }>();
  for (const r of rows) terms.set(r.id, { name: r.name, aspect: (r.namespace && ASPECT_OF_NAMESPACE[r.namespace]) ?? null });
  return { ontology: buildOntology(rows), terms };
}
