// Reading go_prediction rows for the API (GET /prediction-sets/ID/predictions,
// GET /proteins/ACCESSION/predictions): filtered pages in keyset order, the
// best N terms per group, and the same rows streamed from a server-side cursor
// for the TSV and Arrow formats (never the whole result in memory).
//
// A "group" is what rows are grouped and ranked by: the protein within one
// prediction set, or the prediction set for one protein.
import { z } from 'zod';
import { sql, type DatabasePool } from '../db.js';
import { FEATURE_COLUMNS, consume, predictionColumnsOf, type FeatureColumn } from './prediction-export.js';

export interface PredictionFilter {
  /** rows of this prediction set */
  setId?: string;
  /** rows of this query protein */
  protein?: string;
  /** F, P or C */
  aspect?: string;
  /** score >= minScore (rows without a score are left out) */
  minScore?: number;
  /** this GO id (primary id of the set's release) */
  goId?: string;
}

/** What rows are ordered and ranked by after the group: the protein in a set, or the set of a protein. */
export type GroupBy = 'protein' | 'set';

const GROUP_COLUMN: Record<GroupBy, ReturnType<typeof sql.identifier>> = {
  protein: sql.identifier(['p', 'protein_accession']),
  set: sql.identifier(['p', 'prediction_set_id']),
};

/** The group value of a cursor as SQL (a set id is a uuid). */
const groupValue = (by: GroupBy, value: string) => (by === 'set' ? sql.fragment`${value}::uuid` : sql.fragment`${value}`);

function whereOf(f: PredictionFilter) {
  const parts = [sql.fragment`TRUE`];
  if (f.setId !== undefined) parts.push(sql.fragment`p.prediction_set_id = ${f.setId}`);
  if (f.protein !== undefined) parts.push(sql.fragment`p.protein_accession = ${f.protein}`);
  if (f.aspect !== undefined) parts.push(sql.fragment`g.aspect = ${f.aspect}`);
  if (f.minScore !== undefined) parts.push(sql.fragment`p.score >= ${f.minScore}`);
  if (f.goId !== undefined) parts.push(sql.fragment`g.go_id = ${f.goId}`);
  return sql.join(parts, sql.fragment` AND `);
}

const PredictionRowType = z.object({
  prediction_set_id: z.string(),
  protein: z.string(),
  go_id: z.string(),
  go_name: z.string().nullable(),
  aspect: z.string().nullable(),
  score: z.number().nullable(),
  ref_protein: z.string().nullable(),
  distance: z.number().nullable(),
  evidence_code: z.string().nullable(),
  qualifier: z.string().nullable(),
  go_term_id: z.number(),
  id: z.number(),
});
export type PredictionRow = z.infer<typeof PredictionRowType>;

const ROW_COLUMNS = sql.fragment`
  p.prediction_set_id, p.protein_accession AS protein, g.go_id, g.name AS go_name, g.aspect, p.score,
  p.ref_protein_accession AS ref_protein, p.distance, p.evidence_code, p.qualifier, p.go_term_id, p.id::float8 AS id`;
// (go_prediction.id is a bigint: as float8 it is a JS number, exact below 2^53, for the cursor)

/** The keyset of a row page: (group, go_term_id, id). */
export type RowKey = readonly [group: string, goTermId: number, id: number];

/** A page row; with `features`, the feature columns too, under their own names (featuresOf reads them). */
export type PageRow = PredictionRow & Partial<Record<FeatureColumn, number | string | null>>;

/** `, p.identity_nw, ...`: the feature columns of `p` (or of `table`) after a select list, or nothing. */
const featureList = (features: boolean, table = 'p') =>
  features ? sql.fragment`, ${sql.join(FEATURE_COLUMNS.map(([c]) => sql.identifier([table, c])), sql.fragment`, `)}` : sql.fragment``;

/** The SQL of predictionRowsPage (a fragment: tests EXPLAIN it). */
export function predictionRowsPageSql(f: PredictionFilter, by: GroupBy, opts: { limit: number; after?: RowKey; features?: boolean }) {
  const g = GROUP_COLUMN[by];
  const after = opts.after ? sql.fragment`AND (${g}, p.go_term_id, p.id) > (${groupValue(by, opts.after[0])}, ${opts.after[1]}, ${opts.after[2]})` : sql.fragment``;
  return sql.fragment`
    SELECT ${ROW_COLUMNS} ${featureList(opts.features ?? false)}
      FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
     WHERE ${whereOf(f)} ${after}
     ORDER BY ${g}, p.go_term_id, p.id
     LIMIT ${opts.limit}`;
}

/**
 * One page of rows in (group, go_term_id, id) order after `after`; ask for
 * one row more than the page holds to know whether another page follows.
 * `features` adds the feature columns.
 */
export async function predictionRowsPage(db: DatabasePool, f: PredictionFilter, by: GroupBy, opts: { limit: number; after?: RowKey; features?: boolean }): Promise<readonly PageRow[]> {
  return db.any(sql.type(PredictionRowType.passthrough())`${predictionRowsPageSql(f, by, opts)}`);
}

const TopRowType = PredictionRowType.extend({ rank: z.number() });
export type TopRow = z.infer<typeof TopRowType>;

/** The keyset of a top-N page: (group, rank). */
export type TopKey = readonly [group: string, rank: number];

/**
 * The best `top` terms of every group: one row per (group, term), the row
 * with the term's highest score (the nearest reference on a tie, then the
 * lowest accession), ranked by score descending (no score last), then GO id.
 * Filters apply before ranking. `features` adds the go_prediction feature
 * columns of the chosen row.
 */
function topQuery(f: PredictionFilter, by: GroupBy, top: number, tail: ReturnType<typeof sql.fragment>, features = false) {
  const g = GROUP_COLUMN[by];
  const featureSelect = featureList(features);
  const featureOut = featureList(features, 'ranked');
  return sql.fragment`
    WITH best AS (
      SELECT DISTINCT ON (${g}, p.go_term_id) ${g} AS grp, ${ROW_COLUMNS} ${featureSelect}
        FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
       WHERE ${whereOf(f)}
       ORDER BY ${g}, p.go_term_id, p.score DESC NULLS LAST, p.distance ASC NULLS LAST, p.ref_protein_accession ASC NULLS LAST, p.id
    ), ranked AS (
      SELECT b.*, row_number() OVER (PARTITION BY b.grp ORDER BY b.score DESC NULLS LAST, b.go_id)::integer AS rank FROM best b
    )
    SELECT ranked.prediction_set_id, ranked.protein, ranked.go_id, ranked.go_name, ranked.aspect, ranked.score, ranked.ref_protein,
           ranked.distance, ranked.evidence_code, ranked.qualifier, ranked.go_term_id, ranked.id, ranked.rank ${featureOut}
      FROM ranked
     WHERE ranked.rank <= ${top} ${tail}`;
}

/** One page of the best `top` terms per group, in (group, rank) order after `after`; `features` adds the feature columns of each term's chosen row. */
export async function topPredictionsPage(
  db: DatabasePool,
  f: PredictionFilter,
  by: GroupBy,
  opts: { top: number; limit: number; after?: TopKey; features?: boolean },
): Promise<readonly (TopRow & PageRow)[]> {
  const after = opts.after ? sql.fragment`AND (ranked.grp, ranked.rank) > (${groupValue(by, opts.after[0])}, ${opts.after[1]})` : sql.fragment``;
  return db.any(sql.type(TopRowType.passthrough())`${topQuery(f, by, opts.top, sql.fragment`${after} ORDER BY ranked.grp, ranked.rank LIMIT ${opts.limit}`, opts.features ?? false)}`);
}

/** (protein, GO id, score) of one term of a group: what a CAFA line says. */
export interface TermScore {
  prediction_set_id: string;
  protein: string;
  go_id: string;
  score: number | null;
}

const TermScoreType = z.object({ prediction_set_id: z.string(), protein: z.string(), go_id: z.string(), score: z.number().nullable() });

/**
 * Every (group, term) of the filtered rows with its best score, streamed in
 * (group, GO id) order, or in (group, rank) order with `top`. onRow is awaited:
 * a slow client pauses the cursor.
 */
export async function streamTermScores(db: DatabasePool, f: PredictionFilter, by: GroupBy, top: number | undefined, onRow: (row: TermScore) => void | Promise<void>): Promise<void> {
  const g = GROUP_COLUMN[by];
  const query =
    top === undefined
      ? sql.type(TermScoreType)`
          SELECT p.prediction_set_id, p.protein_accession AS protein, g.go_id, max(p.score) AS score
            FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
           WHERE ${whereOf(f)}
           GROUP BY p.prediction_set_id, p.protein_accession, g.go_id
           ORDER BY ${g}, g.go_id`
      : sql.type(TermScoreType)`${topQuery(f, by, top, sql.fragment`ORDER BY ranked.grp, ranked.rank`)}`;
  await consume<TermScore>(db, query, onRow);
}

/** A row with its feature columns and its term's best score: what an Arrow record holds. */
export interface FullPredictionRow extends PredictionRow {
  term_score: number | null;
  rank?: number;
  features: Record<FeatureColumn, number | string | null>;
}

function withFeatures(r: Record<string, unknown>, termScore: number | null): FullPredictionRow {
  return { prediction_set_id: r.prediction_set_id as string, ...predictionColumnsOf(r), go_term_id: r.go_term_id as number, id: r.id as number, term_score: termScore };
}

/**
 * Every filtered row with its feature columns, streamed in the page order
 * ((group, go_term_id, id); with `top`, the chosen row of each of the best
 * terms in (group, rank) order). term_score is the term's best score in the group.
 */
export async function streamFullPredictionRows(db: DatabasePool, f: PredictionFilter, by: GroupBy, top: number | undefined, onRow: (row: FullPredictionRow) => void | Promise<void>): Promise<void> {
  const g = GROUP_COLUMN[by];
  const features = sql.join(FEATURE_COLUMNS.map(([c]) => sql.identifier(['p', c])), sql.fragment`, `);
  const query =
    top === undefined
      ? sql.type(z.record(z.unknown()))`
          SELECT ${ROW_COLUMNS}, ${features},
                 max(p.score) OVER (PARTITION BY ${g}, p.go_term_id) AS term_score
            FROM go_prediction p JOIN go_term g ON g.id = p.go_term_id
           WHERE ${whereOf(f)}
           ORDER BY ${g}, p.go_term_id, p.id`
      : sql.type(z.record(z.unknown()))`${topQuery(f, by, top, sql.fragment`ORDER BY ranked.grp, ranked.rank`, true)}`;
  await consume<Record<string, unknown>>(db, query, (r) => onRow(top === undefined ? withFeatures(r, (r.term_score ?? null) as number | null) : { ...withFeatures(r, (r.score ?? null) as number | null), rank: r.rank as number }));
}
