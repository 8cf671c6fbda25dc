// `protea predictions export` on a fresh migrated database: a small ontology
// (is_a, part_of, a regulates edge that must not propagate, two namespaces), a
// KNN prediction set with rows as the predictor writes them (several
// neighbours per term, a NOT qualifier, an empty one, a score that rounds to
// 0 in CAFA, a term without a score, feature columns), every format checked
// line by line or value by value: CAFA (read back by the evaluator's reader),
// TSV, Arrow (read back with apache-arrow's reader, typed, in several
// batches), GAF 2.2 (read back by the project's GAF reader without a reject);
// --propagate, --top, --min-score, stdout, the errors, topPredictions, the
// command through the built binary, and a set of 20,000 rows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import t from 'tap';
import { tableFromIPC, type Table } from 'apache-arrow';
import { registerPredictionsExport } from '../../cli/commands/predictions-export.js';
import { readPredictionsTsv } from '../../evaluation/files.js';
import { PROJECT_ROOT } from '../../lib/config.js';
import { createCopyPool, withQueryPool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { EXPORT_COLUMNS } from '../../lib/prediction-formats.js';
import { exportPredictions, type ExportPredictionsOptions } from '../../lib/predictions-export.js';
import { topPredictions } from '../../lib/queries/prediction-sets.js';
import { readGaf } from '../../parsers/gaf.js';
import { freshDatabase } from '../helpers/fresh-database.js';

const BP = 'biological_process';
const MF = 'molecular_function';
const CC = 'cellular_component';

// id, name, namespace, aspect
const TERMS = [
  ['GO:0000001', 'root process', BP, 'P'],
  ['GO:0000002', 'process A', BP, 'P'],
  ['GO:0000003', 'process B', BP, 'P'],
  ['GO:0000004', 'process C', BP, 'P'],
  ['GO:0000005', 'process D', BP, 'P'],
  ['GO:0000010', 'molecular function', MF, 'F'],
  ['GO:0000011', 'binding', MF, 'F'],
  ['GO:0000020', 'cell part', CC, 'C'],
] as const;
// child, parent, relation: C is_a A and part_of B; D only regulates A (never propagates)
const EDGES = [
  ['GO:0000002', 'GO:0000001', 'is_a'],
  ['GO:0000003', 'GO:0000001', 'is_a'],
  ['GO:0000004', 'GO:0000002', 'is_a'],
  ['GO:0000004', 'GO:0000003', 'part_of'],
  ['GO:0000005', 'GO:0000002', 'regulates'],
  ['GO:0000011', 'GO:0000010', 'is_a'],
] as const;

interface Pred {
  protein: string;
  go: string;
  ref: string;
  distance: number;
  score: number | null;
  qualifier: string | null;
  evidence: string;
  k?: number;
  identityNw?: number;
  queryTaxon?: number;
}
const PREDS: Pred[] = [
  { protein: 'P1', go: 'GO:0000004', ref: 'Q1', distance: 0.1, score: 0.9, qualifier: 'involved_in', evidence: 'IDA', k: 1, identityNw: 0.8 },
  { protein: 'P1', go: 'GO:0000004', ref: 'Q2', distance: 0.3, score: 0.7, qualifier: 'involved_in', evidence: 'EXP', k: 2 },
  { protein: 'P1', go: 'GO:0000002', ref: 'Q2', distance: 0.3, score: 0.7, qualifier: 'involved_in', evidence: 'EXP', k: 2 },
  { protein: 'P1', go: 'GO:0000011', ref: 'Q1', distance: 0.1, score: 0.9, qualifier: null, evidence: 'IDA', k: 1 },
  { protein: 'P1', go: 'GO:0000005', ref: 'Q3', distance: 0.5, score: 0.5, qualifier: 'NOT|involved_in', evidence: 'IMP', k: 3 },
  { protein: 'P2', go: 'GO:0000020', ref: 'Q4', distance: 0, score: 1, qualifier: 'located_in', evidence: 'IDA' },
  { protein: 'P2', go: 'GO:0000020', ref: 'Q5', distance: 0.2, score: 0.003, qualifier: 'is_active_in', evidence: 'IDA' },
  { protein: 'P2', go: 'GO:0000003', ref: 'Q5', distance: 0.2, score: 0.003, qualifier: null, evidence: 'IDA' },
  { protein: 'P3', go: 'GO:0000002', ref: 'Q6', distance: 0.9, score: null, qualifier: null, evidence: 'TAS', queryTaxon: 10090 },
];

// value by value through get(): toArray() of a numeric column gives its buffer, nulls as 0
const col = (table: Table, name: string) => {
  const v = table.getChild(name)!;
  return Array.from({ length: v.length }, (_, i) => v.get(i) as unknown);
};

t.test('predictions export', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const pool = createCopyPool(url, 1);
  t.teardown(() => pool.end());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-pexport-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const q = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as T[];

  const snapshot = (await q<{ id: string }>(`INSERT INTO ontology_snapshot (obo_url, obo_version, term_count) VALUES ('test://export', 'export-1', $1) RETURNING id`, [TERMS.length]))[0]!.id;
  const termId = new Map<string, number>();
  for (const [go, name, ns, aspect] of TERMS) {
    const [r] = await q<{ id: number }>('INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect) VALUES ($1, $2, $3, $4, $5) RETURNING id', [snapshot, go, name, ns, aspect]);
    termId.set(go, r!.id);
  }
  for (const [child, parent, rel] of EDGES) {
    await q('INSERT INTO go_term_relationship (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type) VALUES ($1, $2, $3, $4)', [snapshot, termId.get(child), termId.get(parent), rel]);
  }
  const cfg = (await q<{ id: string }>(`INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size) VALUES ('kmer-test', 'kmer', 1000, 512) RETURNING id`))[0]!.id;
  const annotations = (await q<{ id: string }>(`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('goa', 'test', $1) RETURNING id`, [snapshot]))[0]!.id;
  const newSet = async (name: string) =>
    (await q<{ id: string }>(
      `INSERT INTO prediction_set (kind, name, embedding_config_id, annotation_set_id, ontology_snapshot_id, limit_per_entry, meta, created_at)
       VALUES ('knn', $1, $2, $3, $4, 5, '{"aggregation":"max"}', '2026-12-02T10:00:00Z') RETURNING id`,
      [name, cfg, annotations, snapshot],
    ))[0]!.id;
  const setId = await newSet('knn-test');
  for (const p of PREDS) {
    await q(
      `INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, ref_protein_accession, distance, score, qualifier, evidence_code, k_position, identity_nw, query_taxonomy_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [setId, p.protein, termId.get(p.go), p.ref, p.distance, p.score, p.qualifier, p.evidence, p.k ?? null, p.identityNw ?? null, p.queryTaxon ?? null],
    );
  }
  await q(`INSERT INTO protein (accession, canonical_accession, gene_name, entry_name, taxonomy_id) VALUES ('P1', 'P1', 'ABC1', 'ABC1_HUMAN', 9606)`);

  const run = async (o: Partial<ExportPredictionsOptions> & Pick<ExportPredictionsOptions, 'format'>, name: string) => {
    const file = path.join(dir, name);
    const r = await exportPredictions({ set: setId, out: file, dbUrl: url, ...o });
    return { r, file, text: o.format === 'arrow' ? '' : readFileSync(file, 'utf8') };
  };
  const dataLines = (text: string) => text.split('\n').filter((l) => l !== '' && !/^(AUTHOR|MODEL|KEYWORDS|END)\t?/.test(l) && !l.startsWith('!'));

  await t.test('cafa: one line per (protein, term) with its best score; scores rounding to 0 and missing ones left out', async (t) => {
    const { r, file, text } = await run({ format: 'cafa' }, 'plain.cafa');
    t.equal(text, [
      'AUTHOR\tPROTEA', 'MODEL\t1', 'KEYWORDS\tmachine learning, homolog.',
      'P1\tGO:0000002\t0.70', 'P1\tGO:0000004\t0.90', 'P1\tGO:0000005\t0.50', 'P1\tGO:0000011\t0.90',
      'P2\tGO:0000020\t1.00',
      'END', '',
    ].join('\n'));
    t.match(r, { setId, proteins: 3, terms: 7, rows: 5, skipped: 2 });
    t.same((await readPredictionsTsv(file)).length, 5, "the evaluator's reader takes the file as it is");
    t.same(readdirSync(dir).filter((f) => f.includes('.partial')), [], 'no temporary file left');
  });

  await t.test('cafa --propagate: ancestors over is_a and part_of get the max of their descendants; regulates does not propagate', async (t) => {
    const { r, text } = await run({ format: 'cafa', propagate: true, cafaHeader: false }, 'prop.cafa');
    t.same(dataLines(text), [
      'P1\tGO:0000001\t0.90', 'P1\tGO:0000002\t0.90', 'P1\tGO:0000003\t0.90', 'P1\tGO:0000004\t0.90', 'P1\tGO:0000005\t0.50', 'P1\tGO:0000010\t0.90', 'P1\tGO:0000011\t0.90',
      'P2\tGO:0000020\t1.00',
    ]);
    t.notMatch(text, /AUTHOR|END/, 'no header records when asked');
    // P2's B (0.003) and the root it raises round to 0; P3's term has no score
    t.match(r, { terms: 11, rows: 8, skipped: 3 });
  });

  await t.test('cafa --top and --min-score: the N best after propagation, ties by GO id', async (t) => {
    const top = await run({ format: 'cafa', propagate: true, top: 2 }, 'top.cafa');
    t.same(dataLines(top.text), ['P1\tGO:0000001\t0.90', 'P1\tGO:0000002\t0.90', 'P2\tGO:0000020\t1.00']);
    const min = await run({ format: 'cafa', minScore: 0.75, decimals: 3 }, 'min.cafa');
    t.same(dataLines(min.text), ['P1\tGO:0000004\t0.900', 'P1\tGO:0000011\t0.900', 'P2\tGO:0000020\t1.000']);
  });

  const tsvRows = (text: string) => {
    const [header, ...lines] = text.replace(/\n$/, '').split('\n');
    const names = header!.split('\t');
    return lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [names[i]!, v])));
  };

  await t.test('tsv: one row per go_prediction row with the term score and every feature column', async (t) => {
    const { r, text } = await run({ format: 'tsv' }, 'plain.tsv');
    t.equal(text.split('\n')[0], EXPORT_COLUMNS.map((c) => c.name).join('\t'));
    const rows = tsvRows(text);
    t.equal(r.rows, 9);
    t.same(rows.map((x) => `${x.protein} ${x.go_id} ${x.ref_protein}`), [
      'P1 GO:0000002 Q2', 'P1 GO:0000004 Q1', 'P1 GO:0000004 Q2', 'P1 GO:0000005 Q3', 'P1 GO:0000011 Q1',
      'P2 GO:0000003 Q5', 'P2 GO:0000020 Q4', 'P2 GO:0000020 Q5',
      'P3 GO:0000002 Q6',
    ]);
    t.match(rows[2], { go_name: 'process C', aspect: 'P', term_score: '0.9', propagated: 'false', score: '0.7', distance: '0.3', evidence_code: 'EXP', qualifier: 'involved_in', k_position: '2', identity_nw: '' });
    t.match(rows[1], { score: '0.9', distance: '0.1', evidence_code: 'IDA', k_position: '1', identity_nw: '0.8' });
    t.match(rows[8], { term_score: '', score: '', query_taxonomy_id: '10090' });
  });

  await t.test('tsv --propagate: ancestors without rows of their own appear once, flagged, with the raised term score', async (t) => {
    const rows = tsvRows((await run({ format: 'tsv', propagate: true }, 'prop.tsv')).text);
    const propagated = rows.filter((x) => x.propagated === 'true').map((x) => `${x.protein} ${x.go_id} ${x.go_name} ${x.aspect} ${x.term_score} [${x.score}${x.ref_protein}]`);
    t.same(propagated, ['P1 GO:0000001 root process P 0.9 []', 'P1 GO:0000003 process B P 0.9 []', 'P1 GO:0000010 molecular function F 0.9 []', 'P2 GO:0000001 root process P 0.003 []']);
    const a = rows.find((x) => x.protein === 'P1' && x.go_id === 'GO:0000002')!;
    t.match(a, { term_score: '0.9', score: '0.7', propagated: 'false' }, "a predicted ancestor keeps its row's score, its term score is raised");
    t.equal(rows.length, 13);
  });

  await t.test('tsv --top: every row of the N best terms', async (t) => {
    const rows = tsvRows((await run({ format: 'tsv', top: 1 }, 'top.tsv')).text);
    t.same(rows.map((x) => `${x.protein} ${x.go_id} ${x.ref_protein}`), ['P1 GO:0000004 Q1', 'P1 GO:0000004 Q2', 'P2 GO:0000020 Q4', 'P2 GO:0000020 Q5', 'P3 GO:0000002 Q6']);
  });

  await t.test('arrow: an IPC stream with typed columns and the same values as the TSV, in batches', async (t) => {
    const { r, file } = await run({ format: 'arrow', propagate: true, batchRows: 4 }, 'prop.arrows');
    const table = tableFromIPC(readFileSync(file));
    t.equal(table.numRows, 13);
    t.equal(r.rows, 13);
    t.equal(table.batches.length, 4, '13 rows in batches of 4');
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, `${String(f.type)}${f.nullable ? '?' : ''}`]));
    t.match(types, { protein: 'Utf8', go_id: 'Utf8', go_name: 'Utf8?', term_score: 'Float64?', propagated: 'Bool', score: 'Float64?', distance: 'Float64?', k_position: 'Int32?', identity_nw: 'Float64?', taxonomic_relation: 'Utf8?' });
    t.same(table.schema.fields.map((f) => f.name), EXPORT_COLUMNS.map((c) => c.name));
    t.match(Object.fromEntries(table.schema.metadata), { prediction_set_id: setId, kind: 'knn', name: 'knn-test', obo_version: 'export-1', propagate: 'true' });
    const tsv = tsvRows((await run({ format: 'tsv', propagate: true }, 'prop2.tsv')).text);
    for (const c of EXPORT_COLUMNS) {
      const arrow = [...col(table, c.name)].map((v) => (v === null ? '' : String(v)));
      t.same(arrow, tsv.map((x) => x[c.name]), `column ${c.name}`);
    }
    const empty = await run({ format: 'arrow', minScore: 2 }, 'empty.arrows');
    const none = tableFromIPC(readFileSync(empty.file));
    t.equal(none.numRows, 0, 'no row passes: still a stream with its schema');
    t.equal(none.schema.fields.length, EXPORT_COLUMNS.length);
  });

  await t.test('gaf: GAF 2.2 rows of the transferred terms, read back by the GAF reader without a reject', async (t) => {
    const { r, file, text } = await run({ format: 'gaf' }, 'plain.gaf');
    t.match(text, /^!gaf-version: 2\.2\n/);
    t.same(dataLines(text), [
      'UniProtKB\tP1\tABC1\tinvolved_in\tGO:0000002\tGO_REF:0000104\tIEA\tUniProtKB:Q2\tP\t\t\tprotein\ttaxon:9606\t20261202\tPROTEA\t\t',
      'UniProtKB\tP1\tABC1\tinvolved_in\tGO:0000004\tGO_REF:0000104\tIEA\tUniProtKB:Q1|UniProtKB:Q2\tP\t\t\tprotein\ttaxon:9606\t20261202\tPROTEA\t\t',
      'UniProtKB\tP1\tABC1\tenables\tGO:0000011\tGO_REF:0000104\tIEA\tUniProtKB:Q1\tF\t\t\tprotein\ttaxon:9606\t20261202\tPROTEA\t\t',
      'UniProtKB\tP2\tP2\tinvolved_in\tGO:0000003\tGO_REF:0000104\tIEA\tUniProtKB:Q5\tP\t\t\tprotein\ttaxon:1\t20261202\tPROTEA\t\t',
      'UniProtKB\tP2\tP2\tlocated_in\tGO:0000020\tGO_REF:0000104\tIEA\tUniProtKB:Q4\tC\t\t\tprotein\ttaxon:1\t20261202\tPROTEA\t\t',
      'UniProtKB\tP2\tP2\tis_active_in\tGO:0000020\tGO_REF:0000104\tIEA\tUniProtKB:Q5\tC\t\t\tprotein\ttaxon:1\t20261202\tPROTEA\t\t',
      'UniProtKB\tP3\tP3\tinvolved_in\tGO:0000002\tGO_REF:0000104\tIEA\tUniProtKB:Q6\tP\t\t\tprotein\ttaxon:10090\t20261202\tPROTEA\t\t',
    ]);
    t.match(r, { rows: 7, skipped: 1 }, 'the NOT-qualified term is not transferred');
    const items = [];
    for await (const item of readGaf(file)) items.push(item);
    t.same(items.filter((i) => i.kind !== 'record'), [], 'no reject, no note');
    t.equal(items.length, 7);
    const own = await run({ format: 'gaf', gafReference: 'PMID:12345678', top: 1 }, 'top.gaf');
    t.same(dataLines(own.text).map((l) => l.split('\t').slice(1, 6).join(' ')), ['P1 ABC1 involved_in GO:0000004 PMID:12345678', 'P2 P2 located_in GO:0000020 PMID:12345678', 'P2 P2 is_active_in GO:0000020 PMID:12345678', 'P3 P3 involved_in GO:0000002 PMID:12345678']);
  });

  await t.test('--out - writes to the given stdout; the set can be named', async (t) => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const r = await exportPredictions({ set: 'knn-test', format: 'cafa', out: '-', stdout: sink, dbUrl: url, cafaHeader: false, proteins: ['P2'] });
    t.equal(Buffer.concat(chunks).toString('utf8'), 'P2\tGO:0000020\t1.00\n');
    t.match(r, { file: '-', proteins: 1 });
  });

  await t.test('errors: an unknown set is NOT_FOUND with a hint, a bad format or option USAGE naming it; nothing written', async (t) => {
    const file = path.join(dir, 'never.tsv');
    const unknown = await exportPredictions({ set: '00000000-0000-7000-8000-000000000000', format: 'tsv', out: file, dbUrl: url }).catch((e: unknown) => e);
    t.ok(unknown instanceof ProteaError && unknown.key === 'NOT_FOUND', String(unknown));
    t.match(unknown, { context: { field: '--set' }, hint: /list-predictions/ });
    await t.rejects(exportPredictions({ set: 'no-such-name', format: 'tsv', out: file, dbUrl: url }), { key: 'NOT_FOUND', message: /no prediction set is named "no-such-name"/ });
    await t.rejects(exportPredictions({ set: setId, format: 'gaf', propagate: true, out: file, dbUrl: url }), { key: 'USAGE', message: /--propagate: GAF rows/, context: { field: '--propagate' } });
    t.notOk(existsSync(file));

    const program = new Command().exitOverride();
    registerPredictionsExport(program.command('predictions'), { dbUrl: url });
    const base = ['predictions', 'export', '--set', setId, '--out', file];
    await t.rejects(program.parseAsync([...base, '--format', 'xml'], { from: 'user' }), { key: 'USAGE', message: /--format xml: expected one of cafa, tsv, arrow, gaf/, context: { field: '--format' } });
    await t.rejects(program.parseAsync([...base, '--format', 'cafa', '--top', '0'], { from: 'user' }), { key: 'USAGE', message: /--top 0/, context: { field: '--top' } });
    await t.rejects(program.parseAsync([...base, '--format', 'cafa', '--min-score', 'high'], { from: 'user' }), { key: 'USAGE', message: /--min-score high/, context: { field: '--min-score' } });
    t.notOk(existsSync(file));
  });

  await t.test('topPredictions: the N best terms per protein with names and the neighbour each came from', async (t) => {
    const rows = await withQueryPool((db) => topPredictions(db, setId, { perProtein: 2 }), url);
    t.same(rows, [
      { protein: 'P1', go_id: 'GO:0000004', go_name: 'process C', aspect: 'P', score: 0.9, ref_protein: 'Q1', distance: 0.1, identity_sw: null, vote_count: null, taxonomic_relation: null },
      { protein: 'P1', go_id: 'GO:0000011', go_name: 'binding', aspect: 'F', score: 0.9, ref_protein: 'Q1', distance: 0.1, identity_sw: null, vote_count: null, taxonomic_relation: null },
      { protein: 'P2', go_id: 'GO:0000020', go_name: 'cell part', aspect: 'C', score: 1, ref_protein: 'Q4', distance: 0, identity_sw: null, vote_count: null, taxonomic_relation: null },
      { protein: 'P2', go_id: 'GO:0000003', go_name: 'process B', aspect: 'P', score: 0.003, ref_protein: 'Q5', distance: 0.2, identity_sw: null, vote_count: null, taxonomic_relation: null },
      { protein: 'P3', go_id: 'GO:0000002', go_name: 'process A', aspect: 'P', score: null, ref_protein: 'Q6', distance: 0.9, identity_sw: null, vote_count: null, taxonomic_relation: null },
    ]);
    const one = await withQueryPool((db) => topPredictions(db, setId, { perProtein: 1, proteins: ['P1'] }), url);
    t.same(one.map((x) => `${x.protein} ${x.go_id} ${x.ref_protein}`), ['P1 GO:0000004 Q1'], 'the term is ranked by its best row, Q1 (0.9) over Q2 (0.7)');
  });

  await t.test('the protea binary writes a CAFA export to stdout, the summary to stderr', async (t) => {
    const out = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/protea.js'), 'predictions', 'export', '--set', setId, '--format', 'cafa', '--no-header', '--top', '1', '--out', '-'], {
      encoding: 'utf8',
      env: { ...process.env, PROTEA_DB_URL: url },
    });
    t.equal(out.status, 0, out.stderr);
    t.equal(out.stdout, 'P1\tGO:0000004\t0.90\nP2\tGO:0000020\t1.00\n');
    t.match(out.stderr, /^wrote 2 cafa lines \(3 terms of 3 proteins, 1 terms left out; [\d.]+ MB\) of prediction set .* to stdout/);
  });

  await t.test('a set of 20,000 rows streams through every format with the counts it should have', async (t) => {
    const big = await newSet('big');
    // 2,000 proteins x (5 terms x 2 neighbours): scores 0.1 .. 0.5 by term, the second neighbour lower
    await q(
      `INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, ref_protein_accession, distance, score)
       SELECT $1, 'B' || lpad(p::text, 5, '0'), t.id, 'R' || n, n * 0.1, (row_number() OVER (PARTITION BY p, n ORDER BY t.go_id)) / 10.0 - (n - 1) * 0.05
         FROM generate_series(1, 2000) p, generate_series(1, 2) n,
              (SELECT id, go_id FROM go_term WHERE ontology_snapshot_id = $2 AND go_id IN ('GO:0000001', 'GO:0000002', 'GO:0000003', 'GO:0000004', 'GO:0000011')) t`,
      [big, snapshot],
    );
    const cafa = await exportPredictions({ set: big, format: 'cafa', out: path.join(dir, 'big.cafa'), dbUrl: url });
    t.match(cafa, { proteins: 2000, terms: 10000, rows: 10000, skipped: 0 });
    const lines = readFileSync(path.join(dir, 'big.cafa'), 'utf8').trimEnd().split('\n');
    t.equal(lines.length, 10000 + 4);
    t.equal(lines[3], 'B00001\tGO:0000001\t0.10');
    t.equal(lines[7], 'B00001\tGO:0000011\t0.50');
    const arrow = await exportPredictions({ set: big, format: 'arrow', out: path.join(dir, 'big.arrows'), dbUrl: url, batchRows: 4096 });
    t.equal(tableFromIPC(readFileSync(path.join(dir, 'big.arrows'))).numRows, 20000);
    t.equal(arrow.rows, 20000);
    const top = await exportPredictions({ set: big, format: 'tsv', top: 1, out: path.join(dir, 'big.tsv'), dbUrl: url });
    t.match(top, { terms: 2000, rows: 4000 }, 'the best term per protein, with its two neighbours');
  });
});
