// Scoring configs and `protea predictions score` on a fresh migrated
// database: a KNN set with a handful of rows whose features are inserted as
// the enricher would write them (some families missing), scored with each
// preset and a custom recipe; scores checked against hand-computed values and
// lib/scoring.ts's scoreRow; every other column copied; scoring twice returns
// the same set; a failure leaves no set; CAFA export and evaluation of the
// scored set; config create/list/show through the CLI; bad recipes refused
// with the field named.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import { registerPredictionsScore } from '../../cli/commands/predictions-score.js';
import { registerScoring } from '../../cli/commands/scoring.js';
import { runEvaluation } from '../../evaluation/run.js';
import { createCopyPool, createQueryPool } from '../../lib/db.js';
import { exportPredictions } from '../../lib/predictions-export.js';
import { getPredictionSet, listPredictionSets, resolvePredictionSet } from '../../lib/queries/prediction-sets.js';
import { createScoringConfig, listScoringConfigs, resolveScoringConfig, scorePredictionSet } from '../../lib/queries/scoring-configs.js';
import { PRESETS, sameRecipe, scoreRow, type FeatureRow } from '../../lib/scoring.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { rejection } from '../helpers/rejection.js';

const BP = 'biological_process';
const T1 = 'GO:0008150';
const T2 = 'GO:0000002';
const T3 = 'GO:0000003';

interface Row {
  protein: string; go: string; ref: string; distance: number; score: number; evidence: string | null;
  nw: number | null; sw: number | null; taxDistance: number | null; votes: number | null;
}
// features as the enricher writes them; nulls: a family it did not compute
const ROWS: Row[] = [
  { protein: 'P1', go: T2, ref: 'R1', distance: 0.4, score: 0.7, evidence: 'IDA', nw: 0.6, sw: 0.9, taxDistance: 3, votes: 0.5 },
  { protein: 'P1', go: T2, ref: 'R2', distance: 0.8, score: 0.7, evidence: 'IEA', nw: null, sw: null, taxDistance: null, votes: 0.5 },
  { protein: 'P1', go: T3, ref: 'R3', distance: 1.0, score: 0.5, evidence: 'XYZ', nw: 0.9, sw: null, taxDistance: 0, votes: 0.25 },
  { protein: 'P2', go: T2, ref: 'R1', distance: 0.0, score: 1.0, evidence: null, nw: 1, sw: 1, taxDistance: 1, votes: 1 },
  { protein: 'P3', go: T3, ref: 'R4', distance: 0.2, score: 0.9, evidence: 'ND', nw: 0.4, sw: 0.5, taxDistance: 7, votes: null },
];
// by hand, row by row (README, Scoring configs):
//   embedding          1 - d/2
//   alignment-weighted (0.5 emb + 0.3 nw + 0.2 sw) / (sum of the weights whose signal is not null)
//   evidence-weighted  emb * weight(code): IDA 1, IEA 0.8, unknown or none 0.5, ND 0.1
const EXPECTED: Record<string, number[]> = {
  embedding: [0.8, 0.6, 0.5, 1, 0.9],
  'alignment-weighted': [
    0.5 * 0.8 + 0.3 * 0.6 + 0.2 * 0.9, // 0.76
    0.6, // alignments missing: the embedding alone
    (0.5 * 0.5 + 0.3 * 0.9) / 0.8, // 0.65: no SW identity
    1,
    0.5 * 0.9 + 0.3 * 0.4 + 0.2 * 0.5, // 0.67
  ],
  'evidence-weighted': [0.8, 0.6 * 0.8, 0.5 * 0.5, 1 * 0.5, 0.9 * 0.1],
};
// cafa export of each: the max over a term's rows, 2 decimals
const CAFA: Record<string, string[]> = {
  embedding: ['P1\tGO:0000002\t0.80', 'P1\tGO:0000003\t0.50', 'P2\tGO:0000002\t1.00', 'P3\tGO:0000003\t0.90'],
  'alignment-weighted': ['P1\tGO:0000002\t0.76', 'P1\tGO:0000003\t0.65', 'P2\tGO:0000002\t1.00', 'P3\tGO:0000003\t0.67'],
  'evidence-weighted': ['P1\tGO:0000002\t0.80', 'P1\tGO:0000003\t0.25', 'P2\tGO:0000002\t0.50', 'P3\tGO:0000003\t0.09'],
};

const close = (a: number | null, b: number) => a !== null && Math.abs(a - b) < 1e-12;

/** console.log lines of fn. */
async function captured(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await fn();
  } finally {
    console.log = log;
  }
  return lines;
}

t.test('scoring configs and scored prediction sets', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const pool = createCopyPool(url, 1);
  const db = await createQueryPool(url, { maximumPoolSize: 3 });
  t.teardown(async () => {
    await db.end();
    await pool.end();
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-scoring-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const q = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as T[];

  const snapshot = (await q<{ id: string }>(`INSERT INTO ontology_snapshot (obo_url, obo_version, term_count) VALUES ('test://scoring', 'scoring-1', 3) RETURNING id`))[0]!.id;
  const termId = new Map<string, number>();
  for (const go of [T1, T2, T3]) {
    termId.set(go, (await q<{ id: number }>('INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect) VALUES ($1, $2, $2, $3, $4) RETURNING id', [snapshot, go, BP, 'P']))[0]!.id);
  }
  for (const child of [T2, T3]) {
    await q(`INSERT INTO go_term_relationship (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type) VALUES ($1, $2, $3, 'is_a')`, [snapshot, termId.get(child), termId.get(T1)]);
  }
  const cfg = (await q<{ id: string }>(`INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size) VALUES ('kmer-test', 'kmer', 1000, 512) RETURNING id`))[0]!.id;
  const oldSet = (await q<{ id: string }>(`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('goa', 'old', $1) RETURNING id`, [snapshot]))[0]!.id;
  const newSet = (await q<{ id: string }>(`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('goa', 'new', $1) RETURNING id`, [snapshot]))[0]!.id;
  const source = (await q<{ id: string }>(
    `INSERT INTO prediction_set (kind, name, embedding_config_id, annotation_set_id, ontology_snapshot_id, limit_per_entry, distance_threshold, meta)
     VALUES ('knn', 'knn-src', $1, $2, $3, 3, 1.5, '{"aggregation":"mean","score_map":"one-minus-d"}') RETURNING id`,
    [cfg, oldSet, snapshot],
  ))[0]!.id;
  for (const r of ROWS) {
    await q(
      `INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, ref_protein_accession, distance, score, qualifier, evidence_code,
                                  identity_nw, identity_sw, taxonomic_distance, neighbor_vote_fraction, similarity_nw, length_query, vote_count, taxonomic_relation)
       VALUES ($1, $2, $3, $4, $5, $6, 'involved_in', $7, $8, $9, $10, $11, $8, 120, 2, 'sibling')`,
      [source, r.protein, termId.get(r.go), r.ref, r.distance, r.score, r.evidence, r.nw, r.sw, r.taxDistance, r.votes],
    );
  }
  const scoresOf = async (set: string) =>
    (await q<{ score: number | null }>(`SELECT score FROM go_prediction WHERE prediction_set_id = $1 ORDER BY protein_accession, go_term_id, ref_protein_accession`, [set])).map((r) => r.score);
  const featureRow = (r: Row): FeatureRow => ({ distance: r.distance, evidence_code: r.evidence, identity_nw: r.nw, identity_sw: r.sw, taxonomic_distance: r.taxDistance, neighbor_vote_fraction: r.votes });

  const scored = new Map<string, string>();

  await t.test('the presets are in the database as lib/scoring.ts describes them', async (t) => {
    const rows = await listScoringConfigs(db);
    t.same(rows.map((r) => r.name), ['alignment-weighted', 'embedding', 'evidence-weighted']);
    for (const p of PRESETS) t.ok(sameRecipe(rows.find((r) => r.name === p.name)!, p), `${p.name} is the preset's recipe`);
  });

  await t.test('each preset: a scored set with the hand-computed scores, every other column copied', async (t) => {
    for (const preset of PRESETS) {
      const progress: Array<[number, number]> = [];
      const r = await scorePredictionSet(db, { set: 'knn-src', scoring: preset.name, batchRows: 2, onProgress: (d, n) => progress.push([d, n]) });
      t.match(r, { created: true, sourceId: source, rows: ROWS.length, config: { name: preset.name } }, preset.name);
      // batches of whole proteins: P1 (3 rows), then P2 and P3, then nothing left
      t.same(progress, [[0, 5], [3, 5], [5, 5], [5, 5]], `${preset.name}: progress by batch`);
      scored.set(preset.name, r.id);
      const got = await scoresOf(r.id);
      const want = EXPECTED[preset.name]!;
      got.forEach((s, i) => t.ok(close(s, want[i]!), `${preset.name} row ${i}: ${s} = ${want[i]} by hand`));
      got.forEach((s, i) => t.ok(close(s, scoreRow(preset, featureRow(ROWS[i]!))!), `${preset.name} row ${i}: SQL = scoreRow`));

      const [copied] = await q<{ same: boolean; n: number }>(
        `SELECT count(*)::int AS n, bool_and(to_jsonb(a) - 'id' - 'prediction_set_id' - 'score' = to_jsonb(b) - 'id' - 'prediction_set_id' - 'score') AS same
           FROM go_prediction a JOIN go_prediction b USING (protein_accession, go_term_id, ref_protein_accession)
          WHERE a.prediction_set_id = $1 AND b.prediction_set_id = $2`,
        [source, r.id],
      );
      t.same(copied, { n: 5, same: true }, `${preset.name}: every column but the score is the source's`);

      const set = await getPredictionSet(db, r.id);
      t.match(set, {
        kind: 'scored', name: `knn-src@${preset.name}`, embedding_config_id: cfg, annotation_set_id: oldSet, ontology_snapshot_id: snapshot,
        limit_per_entry: 3, distance_threshold: 1.5,
        meta: { aggregation: 'mean', score_map: 'one-minus-d', source_prediction_set_id: source, scoring_config: { name: preset.name, formula: preset.formula } },
      });
      const [link] = await q(`SELECT scoring_config_id, source_prediction_set_id FROM prediction_set WHERE id = $1`, [r.id]);
      t.same(link, { scoring_config_id: r.config.id, source_prediction_set_id: source });
    }
    t.same(await scoresOf(source), ROWS.map((r) => r.score), 'the source keeps its scores');
    t.same((await listPredictionSets(db, { kind: 'scored' })).map((s) => s.id).sort(), [...scored.values()].sort(), 'listed by kind');
  });

  await t.test('scoring the same pair again returns the set; scoring a scored set scores its source', async (t) => {
    const again = await scorePredictionSet(db, { set: source, scoring: 'embedding' });
    t.match(again, { id: scored.get('embedding'), created: false, rows: 5 });
    const viaScored = await scorePredictionSet(db, { set: scored.get('embedding')!, scoring: 'alignment-weighted' });
    t.match(viaScored, { id: scored.get('alignment-weighted'), created: false, sourceId: source });
    t.equal(Number((await q<{ n: number }>(`SELECT count(*)::int AS n FROM prediction_set WHERE kind = 'scored'`))[0]!.n), 3);
  });

  await t.test('a failure while scoring leaves no scored set behind', async (t) => {
    const custom = await createScoringConfig(db, { name: 'half-done', weights: { identity_sw: 1 } });
    t.ok(custom.created);
    await t.rejects(
      scorePredictionSet(db, { set: source, scoring: 'half-done', batchRows: 2, onProgress: (d) => { if (d > 0) throw new Error('crash after the first batch'); } }),
      /crash after the first batch/,
    );
    t.equal(Number((await q<{ n: number }>(`SELECT count(*)::int AS n FROM prediction_set WHERE scoring_config_id = $1`, [custom.config.id]))[0]!.n), 0, 'no set');
    t.equal(Number((await q<{ n: number }>(`SELECT count(*)::int AS n FROM go_prediction`))[0]!.n), 5 * 4, 'no rows beyond the source\'s and the three scored sets\'');
  });

  await t.test('every signal and an evidence override: SQL agrees with scoreRow; no signal with a value is no score', async (t) => {
    const { config } = await createScoringConfig(db, {
      name: 'everything', formula: 'evidence_weighted',
      weights: { embedding_similarity: 0.3, identity_nw: 0.1, identity_sw: 0.1, taxonomic_proximity: 0.2, neighbor_vote_fraction: 0.2, evidence_weight: 0.1 },
      evidenceWeights: { IEA: 0.3, ND: 0.9 },
    });
    const r = await scorePredictionSet(db, { set: source, scoring: config.id });
    const got = await scoresOf(r.id);
    got.forEach((s, i) => t.ok(close(s, scoreRow(config, featureRow(ROWS[i]!))!), `row ${i}: ${s}`));
    // row 1 by hand: emb 0.6, votes 0.5, evidence IEA 0.3 (overridden): (0.18 + 0.1 + 0.03) / 0.6 * 0.3
    t.ok(close(got[1]!, ((0.3 * 0.6 + 0.2 * 0.5 + 0.1 * 0.3) / 0.6) * 0.3), `row 1 by hand: ${got[1]}`);
    const swOnly = await scorePredictionSet(db, { set: source, scoring: 'half-done' });
    t.same(await scoresOf(swOnly.id), [0.9, null, null, 1, 0.5], 'rows without a SW identity have no score');
  });

  await t.test('export and evaluation take a scored set', async (t) => {
    for (const name of ['embedding', 'alignment-weighted', 'evidence-weighted']) {
      const file = path.join(dir, `${name}.cafa`);
      const r = await exportPredictions({ set: scored.get(name)!, format: 'cafa', out: file, cafaHeader: false, dbUrl: url });
      t.match(r, { setId: scored.get(name), terms: 4 });
      t.same(readFileSync(file, 'utf8').trimEnd().split('\n').sort(), CAFA[name], `${name}: the recomputed scores, max over the rows of a term`);
    }
    t.equal((await resolvePredictionSet(db, 'knn-src@alignment-weighted')).kind, 'scored', 'resolved by its name');

    const evalSet = (await q<{ id: string }>(`INSERT INTO evaluation_set (old_annotation_set_id, new_annotation_set_id, ontology_snapshot_id) VALUES ($1, $2, $3) RETURNING id`, [oldSet, newSet, snapshot]))[0]!.id;
    await q(`INSERT INTO evaluation_target (evaluation_set_id, category, namespace, protein_accession, go_term_id) VALUES ($1, 'NK', $2, 'P1', $3), ($1, 'NK', $2, 'P3', $4)`, [evalSet, BP, termId.get(T2), termId.get(T3)]);
    const report = await runEvaluation(
      { set: evalSet, predictions: scored.get('alignment-weighted')!, prop: 'max', norm: 'cafa', thStep: 0.01, noRoots: false, baselines: [] },
      { db, progress: null },
    );
    t.equal(report.results.length, 1);
    t.equal(report.results[0]!.predictionSetId, scored.get('alignment-weighted'));
    t.equal(report.results[0]!.document.categories.NK?.[BP]?.predictedTargets, 2, 'both targets predicted');
    const [stored] = await q(`SELECT r.scoring_config_id, c.name FROM evaluation_result r JOIN scoring_config c ON c.id = r.scoring_config_id WHERE r.id = $1`, [report.results[0]!.id]);
    t.same(stored, { scoring_config_id: (await resolveScoringConfig(db, 'alignment-weighted')).id, name: 'alignment-weighted' }, 'the result names the recipe');
  });

  await t.test('configs: create, list, show through the CLI; same recipe same id; another recipe under the name refused', async (t) => {
    const program = new Command().exitOverride();
    registerScoring(program, { dbUrl: url });
    registerPredictionsScore(program.command('predictions'), { dbUrl: url });
    const cli = (...args: string[]) => captured(() => program.parseAsync(args, { from: 'user' }));

    const created = await cli('scoring', 'create', '--name', 'taxo', '--weights', 'embedding_similarity=0.6, taxonomic_proximity=0.4', '--evidence-weights', 'IEA=0.5', '--description', 'taxonomy-aware');
    t.equal(created[0], 'created scoring config taxo');
    const id = created.at(-1)!;
    t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'the id on the last line');
    const same = await cli('scoring', 'create', '--name', 'taxo', '--weights', 'taxonomic_proximity=0.4,embedding_similarity=0.6,identity_nw=0', '--evidence-weights', 'IEA=0.5');
    t.same(same, ['scoring config taxo exists with this recipe', id], 'the same recipe (another spelling) is the same config');
    const other = await rejection(t, program.parseAsync(['scoring', 'create', '--name', 'taxo', '--weights', 'embedding_similarity=1'], { from: 'user' }));
    t.match(other, { key: 'USAGE', context: { field: 'name' }, message: /a scoring config named "taxo" already exists with another recipe .*configs are immutable/ });

    const list = await cli('scoring', 'list');
    t.equal(list.length, 6, 'three presets and three made here');
    t.match(list.find((l) => l.startsWith('taxo ')), new RegExp(`linear +embedding_similarity=0.6,taxonomic_proximity=0.4  evidence IEA=0.5  ${id}`));
    const show = (await cli('scoring', 'show', 'taxo')).join('\n');
    t.match(show, new RegExp(`scoring config ${id}\\n  name +taxo\\n  formula +linear\\n  weights +embedding_similarity=0.6,taxonomic_proximity=0.4\\n  evidence weights +IEA=0.5 \\(others: the defaults\\)\\n  description +taxonomy-aware`));
    t.match(await cli('scoring', 'show', id), [new RegExp(`scoring config ${id}`)], 'show by id');
    t.match(await rejection(t, program.parseAsync(['scoring', 'show', 'nope'], { from: 'user' })), { key: 'NOT_FOUND', message: /no scoring config has the name nope/, hint: /protea scoring list/ });

    const scoredLines = await cli('predictions', 'score', '--set', 'knn-src', '--scoring', 'taxo');
    const scoredId = scoredLines.at(-1)!;
    t.match(scoredLines[0], /^scored prediction set .* with taxo \(linear\): 5 rows in/);
    t.equal((await getPredictionSet(db, scoredId))?.kind, 'scored', 'the last line is the scored set id');
    // row 0 by hand: (0.6*0.8 + 0.4*(1/(1+3))) / 1 = 0.58
    t.ok(close((await scoresOf(scoredId))[0]!, 0.58));
    t.same(await cli('predictions', 'score', '--set', source, '--scoring', id), [`prediction set ${source} was already scored with taxo: 5 rows`, scoredId]);
    t.match(await rejection(t, program.parseAsync(['predictions', 'score', '--set', 'knn-src', '--scoring', 'missing'], { from: 'user' })), { key: 'NOT_FOUND', context: { field: '--scoring' } });
    t.match(await rejection(t, program.parseAsync(['predictions', 'score', '--set', 'no-set', '--scoring', 'taxo'], { from: 'user' })), { key: 'NOT_FOUND', context: { field: '--set' } });
  });

  await t.test('bad recipes are refused with the field named, and nothing is stored', async (t) => {
    const program = new Command().exitOverride();
    registerScoring(program, { dbUrl: url });
    const create = (...args: string[]) => rejection(t, program.parseAsync(['scoring', 'create', '--name', 'bad', ...args], { from: 'user' }));
    t.match(await create('--weights', 'embedding_similarity=1,identity_xx=1'), { key: 'USAGE', context: { field: 'weights.identity_xx' }, message: /weights\.identity_xx: unknown signal/ });
    t.match(await create('--weights', 'embedding_similarity=-1'), { context: { field: 'weights.embedding_similarity' }, message: /-1 is not a weight/ });
    t.match(await create('--weights', 'embedding_similarity=0'), { context: { field: 'weights' }, message: /no signal has a weight > 0/ });
    t.match(await create('--weights', 'embedding_similarity'), { context: { field: '--weights' }, message: /expected KEY=NUMBER/ });
    t.match(await create('--weights', 'embedding_similarity=1', '--formula', 'max'), { context: { field: 'formula' }, message: /"max" is not a formula/ });
    t.match(await create('--weights', 'embedding_similarity=1', '--evidence-weights', 'IEA=2'), { context: { field: 'evidence_weights.IEA' }, message: /2 is not an evidence weight/ });
    t.match(await rejection(t, createScoringConfig(db, { name: '0190f1c2-7c1e-7d3a-9b1f-2a3c4d5e6f70', weights: { embedding_similarity: 1 } })), { context: { field: 'name' } }, 'a UUID is not a name');
    t.equal(Number((await q<{ n: number }>(`SELECT count(*)::int AS n FROM scoring_config`))[0]!.n), 6, 'nothing stored');
  });

  // last: it adds a config and a scored set the counts above do not expect
  await t.test('two scorers of a pair never scored before: one set, made once', async (t) => {
    await createScoringConfig(db, { name: 'raced', weights: { embedding_similarity: 1, identity_sw: 1 } });
    const both = await Promise.all([1, 2].map(() => scorePredictionSet(db, { set: source, scoring: 'raced' })));
    t.equal(both[0]!.id, both[1]!.id, 'two at once: one set');
    t.same(both.map((b) => b.created).sort(), [false, true], 'one made it, the other found it');
  });
});
