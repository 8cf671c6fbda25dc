// scoring_config rows (named, immutable recipes: lib/scoring.ts) and the
// scored prediction sets made with them: a set's go_prediction rows copied
// with the score recomputed by a recipe, in SQL (the formula becomes SQL
// expressions over the feature columns, the weights bound parameters).
import { z } from 'zod';
import { sql, type CommonQueryMethods, type DatabasePool } from '../db.js';
import { ProteaError } from '../errors.js';
import {
  SIGNALS,
  UNKNOWN_EVIDENCE_WEIGHT,
  effectiveEvidenceWeights,
  sameRecipe,
  validateName,
  validateRecipe,
  type ScoringRecipe,
  type Signal,
} from '../scoring.js';
import { isUuid } from '../ids.js';
import { countPredictions, resolvePredictionSet } from './prediction-sets.js';

const LIST_HINT = 'List the scoring configs with `protea scoring list`; give a name or an id.';

const Row = z.object({
  id: z.string(),
  name: z.string(),
  formula: z.string(),
  weights: z.record(z.unknown()),
  evidence_weights: z.record(z.unknown()).nullable(),
  description: z.string().nullable(),
  created_at: z.number(),
});

export interface ScoringConfigRow extends ScoringRecipe {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
}

const COLUMNS = sql.fragment`id, name, formula, weights, evidence_weights, description, created_at`;

function fromRow(r: z.infer<typeof Row>): ScoringConfigRow {
  // rows were validated when written; validating again keeps a hand-edited row from scoring nonsense
  const recipe = validateRecipe({ formula: r.formula, weights: r.weights, evidenceWeights: r.evidence_weights });
  return { id: r.id, name: r.name, description: r.description, createdAt: new Date(r.created_at), ...recipe };
}

/** Every scoring config, by name. */
export async function listScoringConfigs(db: CommonQueryMethods): Promise<ScoringConfigRow[]> {
  return (await db.any(sql.type(Row)`SELECT ${COLUMNS} FROM scoring_config ORDER BY name`)).map(fromRow);
}

/** A config by id or name, or null. */
export async function getScoringConfig(db: CommonQueryMethods, ref: string): Promise<ScoringConfigRow | null> {
  const where = isUuid(ref) ? sql.fragment`id = ${ref}` : sql.fragment`name = ${ref}`;
  const row = await db.maybeOne(sql.type(Row)`SELECT ${COLUMNS} FROM scoring_config WHERE ${where}`);
  return row ? fromRow(row) : null;
}

/** A config by id or name; NOT_FOUND naming `option` when there is none. */
export async function resolveScoringConfig(db: CommonQueryMethods, ref: string, option = '--scoring'): Promise<ScoringConfigRow> {
  const row = await getScoringConfig(db, ref);
  if (!row) throw new ProteaError('NOT_FOUND', `${option}: no scoring config has the ${isUuid(ref) ? 'id' : 'name'} ${ref}`, { field: option, hint: LIST_HINT });
  return row;
}

const describeRecipe = (r: ScoringRecipe) =>
  `${r.formula} ${JSON.stringify(r.weights)}${r.evidenceWeights ? ` evidence ${JSON.stringify(r.evidenceWeights)}` : ''}`;

/**
 * Creates a config. The same recipe under the same name again returns the
 * existing row (created: false); the name with another recipe is USAGE: a
 * config is immutable, a new recipe needs a new name.
 */
export async function createScoringConfig(
  db: CommonQueryMethods,
  spec: { name: string; formula?: unknown; weights: unknown; evidenceWeights?: unknown; description?: string | null },
): Promise<{ config: ScoringConfigRow; created: boolean }> {
  const name = validateName(spec.name);
  const recipe = validateRecipe(spec);
  const id = await db.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO scoring_config (name, formula, weights, evidence_weights, description)
    VALUES (${name}, ${recipe.formula}, ${sql.jsonb(recipe.weights as never)},
            ${recipe.evidenceWeights ? sql.jsonb(recipe.evidenceWeights) : null}, ${spec.description ?? null})
    ON CONFLICT ON CONSTRAINT scoring_config_name_key DO NOTHING
    RETURNING id`);
  const config = await resolveScoringConfig(db, id ?? name, 'name');
  if (id) return { config, created: true };
  if (!sameRecipe(config, recipe)) {
    throw new ProteaError('USAGE', `name: a scoring config named "${name}" already exists with another recipe (${describeRecipe(config)}; given ${describeRecipe(recipe)}); configs are immutable: choose another name`, {
      field: 'name',
      hint: `Show it with \`protea scoring show ${name}\`.`,
    });
  }
  return { config, created: false };
}

// ---------------------------------------------------------------- the formula in SQL

type Fragment = ReturnType<typeof sql.fragment>;

/** A signal over the go_prediction row `p`, as SQL (null where the feature is null). */
function signalSql(signal: Signal, evidence: Fragment): Fragment {
  switch (signal) {
    case 'embedding_similarity':
      return sql.fragment`(1 - p.distance / 2)`;
    case 'identity_nw':
      return sql.fragment`p.identity_nw`;
    case 'identity_sw':
      return sql.fragment`p.identity_sw`;
    case 'taxonomic_proximity':
      return sql.fragment`(1 / (1 + p.taxonomic_distance)::float8)`;
    case 'neighbor_vote_fraction':
      return sql.fragment`p.neighbor_vote_fraction`;
    case 'evidence_weight':
      return evidence;
  }
}

/**
 * The score of the go_prediction row `p` under a recipe, as one SQL
 * expression: what scoreRow (lib/scoring.ts) computes, term by term in the
 * same order. Signal expressions are fixed fragments; weights and the
 * evidence table are bound parameters.
 */
export function scoreSql(recipe: ScoringRecipe): Fragment {
  const table = effectiveEvidenceWeights(recipe);
  // a row without a code, or with one the table lacks: the unknown-code weight
  const evidence = sql.fragment`coalesce((${sql.jsonb(table)}::jsonb ->> p.evidence_code)::float8, ${UNKNOWN_EVIDENCE_WEIGHT}::float8)`;
  const active = SIGNALS.filter((s) => (recipe.weights[s] ?? 0) > 0);
  if (active.length === 0) throw new ProteaError('USAGE', 'weights: no signal has a weight > 0', { field: 'weights' });
  const num = sql.join(active.map((s) => sql.fragment`coalesce(${recipe.weights[s]!}::float8 * ${signalSql(s, evidence)}, 0)`), sql.fragment` + `);
  const den = sql.join(active.map((s) => sql.fragment`(CASE WHEN ${signalSql(s, evidence)} IS NULL THEN 0 ELSE ${recipe.weights[s]!}::float8 END)`), sql.fragment` + `);
  const linear = sql.fragment`((${num}) / nullif(${den}, 0))`;
  return recipe.formula === 'evidence_weighted' ? sql.fragment`(${linear} * ${evidence})` : linear;
}

// ---------------------------------------------------------------- scored sets

export interface ScoreReport {
  id: string;
  /** false: this (source, config) pair had been scored before; its set is returned */
  created: boolean;
  sourceId: string;
  config: ScoringConfigRow;
  /** go_prediction rows of the scored set */
  rows: number;
}

const IdRow = z.object({ id: z.string() });

/**
 * Scores a prediction set with a config without recomputing neighbours: a
 * prediction set of kind 'scored' with every go_prediction row of the source,
 * each column copied and the score recomputed. One transaction (a crash
 * leaves no half-scored set); the rows go in batches of about `batchRows`
 * (whole proteins) so `onProgress` can report. Scoring a scored set scores
 * its source (the rows and features are the same). The same (source, config)
 * again returns the existing set.
 */
export async function scorePredictionSet(
  db: DatabasePool,
  opts: { set: string; scoring: string; batchRows?: number; onProgress?: (done: number, total: number) => void },
): Promise<ScoreReport> {
  let source = await resolvePredictionSet(db, opts.set, '--set');
  const config = await resolveScoringConfig(db, opts.scoring);
  if (source.kind === 'scored') {
    const parent = await db.oneFirst(sql.type(IdRow)`SELECT source_prediction_set_id AS id FROM prediction_set WHERE id = ${source.id}`);
    source = await resolvePredictionSet(db, parent, '--set');
  }
  const batchRows = opts.batchRows ?? 50_000;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new ProteaError('USAGE', `batchRows ${batchRows}: expected a positive integer`, { field: 'batchRows' });
  const src = source.id;
  return db.transaction(async (tx) => {
    // two scorers of one pair queue here; the second finds the first's set
    await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${`protea.scored.${src}.${config.id}`}))`);
    const found = await tx.maybeOneFirst(sql.type(IdRow)`
      SELECT id FROM prediction_set WHERE source_prediction_set_id = ${src} AND scoring_config_id = ${config.id}`);
    if (found) {
      const rows = await countPredictions(tx, found);
      return { id: found, created: false, sourceId: src, config, rows };
    }
    const meta = {
      ...source.meta,
      scoring_config: { id: config.id, name: config.name, formula: config.formula, weights: config.weights, evidence_weights: config.evidenceWeights },
      source_prediction_set_id: src,
    };
    const id = await tx.oneFirst(sql.type(IdRow)`
      INSERT INTO prediction_set (kind, name, embedding_config_id, annotation_set_id, ontology_snapshot_id, query_set_id, limit_per_entry,
                                  distance_threshold, meta, scoring_config_id, source_prediction_set_id)
      SELECT 'scored', ${`${source.name ?? src}@${config.name}`}, embedding_config_id, annotation_set_id, ontology_snapshot_id, query_set_id,
             limit_per_entry, distance_threshold, ${sql.jsonb(meta as never)}, ${config.id}, id
        FROM prediction_set WHERE id = ${src}
      RETURNING id`);
    // every column but the row id, the set and the score, read from the catalogue so feature columns added later are copied too
    const columns = await tx.manyFirst(sql.type(z.object({ column_name: z.string() }))`
      SELECT column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'go_prediction'
         AND column_name NOT IN ('id', 'prediction_set_id', 'score') AND is_generated = 'NEVER'
       ORDER BY ordinal_position`);
    const target = sql.join(columns.map((c) => sql.identifier([c])), sql.fragment`, `);
    const from = sql.join(columns.map((c) => sql.identifier(['p', c])), sql.fragment`, `);
    const score = scoreSql(config);
    const total = await countPredictions(tx, src);
    opts.onProgress?.(0, total);
    let done = 0;
    let after: string | null = null;
    for (;;) {
      const lower: Fragment = after === null ? sql.fragment`` : sql.fragment`AND p.protein_accession > ${after}`;
      // the protein of the batchRows-th row from here: the batch ends with all of that protein's rows
      const upper: string | null = await tx.maybeOneFirst(sql.type(z.object({ protein_accession: z.string() }))`
        SELECT p.protein_accession FROM go_prediction p WHERE p.prediction_set_id = ${src} ${lower}
         ORDER BY p.protein_accession OFFSET ${batchRows - 1} LIMIT 1`);
      const bound: Fragment = upper === null ? sql.fragment`` : sql.fragment`AND p.protein_accession <= ${upper}`;
      const r = await tx.query(sql.unsafe`
        INSERT INTO go_prediction (prediction_set_id, ${target}, score)
        SELECT ${id}, ${from}, ${score} FROM go_prediction p
         WHERE p.prediction_set_id = ${src} ${lower} ${bound}`);
      done += r.rowCount;
      opts.onProgress?.(done, total);
      if (upper === null) break;
      after = upper;
    }
    return { id, created: true, sourceId: src, config, rows: done };
  });
}
