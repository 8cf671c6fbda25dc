// Issue 5 end to end on the real stack: the bundled demo ontology and two
// versions of the demo GAF (demo/evaluation/README.md: the rows
// before 2012 and the full file) go through Kafka and the sinks into a fresh
// database; then, through the built CLI with PROTEA_DB_URL and
// PROTEA_TOPIC_NAMESPACE pointing at the fresh ones, `evaluate set` builds the
// temporal holdout (NK, LK and PK targets), `evaluate import` stores a
// deliberately imperfect CAFA prediction file, and `evaluate run --out` scores
// it and the naive baseline: evaluation results in PostgreSQL, the results
// table on stdout, results.tsv, curves.tsv and one precision-recall SVG per
// category and namespace.
//
// Cross-checks: every results.tsv row equals what `protea evaluate files`
// (the metric core on files) computes from the ground truth the CLI exports
// and the prediction file itself, for the imported set; for the naive
// baseline, from a prediction file of term frequencies this test computes on
// its own from the older GAF file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startStages } from '../../pipeline/stages.js';
import { gafRun, oboRun } from '../../topics/ingest-runs.js';
import { readOboTerms } from '../../evaluation/obo-terms.js';
import { buildOntology } from '../../evaluation/ontology.js';
import { DEFAULT_EVIDENCE_CODES, isNotQualifier } from '../../evaluation/temporal-holdout.js';
import { CATEGORIES } from '../../evaluation/types.js';
import { PROJECT_ROOT } from '../../lib/config.js';
import { adminQuery } from '../../lib/db.js';
import { TopicProducer } from '../../lib/topic-producer.js';
import { produce } from '../../topics/produce.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { freshNamespace } from '../helpers/fresh-namespace.js';
import { until } from '../helpers/poll.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'protea.js');
const FIXTURES = path.join(PROJECT_ROOT, 'demo', 'evaluation');
const OBO = path.join(PROJECT_ROOT, 'demo', 'goslim_generic.obo');
const OLD_GAF = path.join(FIXTURES, 'annotations-before-2012.gaf');
const NEW_GAF = path.join(FIXTURES, 'annotations-full.gaf');
const PREDICTIONS = path.join(FIXTURES, 'predictions-cafa.tsv');
const OBO_VERSION = 'goslim-generic-e2e';

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI as a child process (async, so the sinks in this process keep consuming meanwhile). */
function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: PROJECT_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A TSV with a header into objects keyed by column. */
function tsv(text: string): Array<Record<string, string>> {
  const [head, ...rows] = text.trimEnd().split('\n');
  const cols = head!.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i]!, v])));
}

/**
 * Naive predictions computed here, independently of evaluation/baselines.ts:
 * per namespace, the share of the older file's proteins annotated there
 * (experimental evidence, NOT rows removing the same protein's term and its
 * descendants) that carry each term after propagation; terms below 0.01 left
 * out (never predicted at thresholds 0.01 and up).
 */
async function naiveFrequencies(): Promise<Map<string, Array<[string, number]>>> {
  const ontology = buildOntology(await readOboTerms(OBO));
  const codes = new Set(DEFAULT_EVIDENCE_CODES);
  const pos = new Map<string, Set<number>>();
  const neg = new Map<string, Set<number>>();
  for (const line of readFileSync(OLD_GAF, 'utf8').split('\n')) {
    const f = line.split('\t');
    if (line.startsWith('!') || f.length < 15) continue;
    const not = isNotQualifier(f[3]!);
    const term = ontology.resolve(f[4]!);
    if (term === undefined || (!not && !codes.has(f[6]!))) continue;
    const into = not ? neg : pos;
    if (!into.has(f[1]!)) into.set(f[1]!, new Set());
    into.get(f[1]!)!.add(term);
  }
  const perNs = new Map<string, number>();
  const count = new Map<number, number>();
  for (const [protein, terms] of pos) {
    const closure = new Set<number>();
    for (const x of terms) {
      if ([...ontology.ancestors(x)].some((a) => neg.get(protein)?.has(a))) continue;
      for (const a of ontology.ancestors(x)) closure.add(a);
    }
    for (const ns of new Set([...closure].map((x) => ontology.namespace(x)))) perNs.set(ns, (perNs.get(ns) ?? 0) + 1);
    for (const a of closure) count.set(a, (count.get(a) ?? 0) + 1);
  }
  const out = new Map<string, Array<[string, number]>>();
  for (const [term, c] of count) {
    const ns = ontology.namespace(term);
    const freq = c / perNs.get(ns)!;
    if (freq < 0.01) continue;
    if (!out.has(ns)) out.set(ns, []);
    out.get(ns)!.push([ontology.id(term), freq]);
  }
  return out;
}

t.test('two GAF versions through the pipeline, then evaluate set, import and run through the CLI: results stored, tabled, exported and plotted, equal to the file evaluator', async (t) => {
  const namespace = await freshNamespace(t);
  const url = await freshDatabase(t, { migrate: true });
  const q = <R>(text: string) => adminQuery<R>(url, text);
  const stages = await startStages(['sink:ontology', 'sink:annotations', 'sink:jobs'], { namespace, dbUrl: url });
  t.teardown(() => Promise.allSettled(stages.map((s) => s.stop())));
  const producer = new TopicProducer();
  t.teardown(() => producer.disconnect());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'protea-eval-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // ingest: the ontology, then the older and the full GAF as two annotation sets
  const obo = await produce(oboRun(OBO, { version: OBO_VERSION }), { producer, namespace, progress: null });
  const older = await produce(gafRun(OLD_GAF, { source: 'goa-demo', version: 'before-2012', ontology: OBO_VERSION }), { producer, namespace, progress: null });
  const full = await produce(gafRun(NEW_GAF, { source: 'goa-demo', version: 'full', ontology: OBO_VERSION }), { producer, namespace, progress: null });
  t.equal(older.sent, 55, 'the older file: 55 rows');
  t.equal(full.sent, 232, 'the full file: 232 rows');
  const ids = [obo.jobId, older.jobId, full.jobId];
  await until(
    'the ingest jobs to succeed',
    () => q<{ status: string }>(`SELECT status FROM job WHERE id IN ('${ids.join("','")}')`),
    (rows) => rows.length === 3 && rows.every((r) => r.status === 'succeeded'),
    { timeoutMs: 120_000 },
  );
  const sets = await q<{ source_version: string; n: number }>(
    `SELECT a.source_version, count(p.id)::int AS n FROM annotation_set a LEFT JOIN protein_go_annotation p ON p.annotation_set_id = a.id GROUP BY 1 ORDER BY 1`,
  );
  // GO ids outside the slim (GO:0031965, GO:2000573, ...) go to the dead-letter topic, as ingest does
  t.same(sets.map((s) => s.source_version), ['before-2012', 'full'], 'two annotation sets');
  t.ok(sets.every((s) => s.n > 0), `both hold rows (${sets.map((s) => `${s.source_version}: ${s.n}`).join(', ')})`);

  const env = { ...process.env, PROTEA_DB_URL: url, PROTEA_TOPIC_NAMESPACE: namespace, PROTEA_LOG_LEVEL: 'warn', CI: 'true' };

  // evaluate set
  const built = await cli(env, ['evaluate', 'set', '--old', 'goa-demo@before-2012', '--new', 'goa-demo@full', '--json']);
  t.equal(built.code, 0, `evaluate set exits 0 ${built.stderr}`);
  const setId = (JSON.parse(built.stdout) as { id: string }).id;
  const targets = await q<{ category: string; namespace: string; proteins: number }>(
    `SELECT category, namespace, count(DISTINCT protein_accession)::int AS proteins FROM evaluation_target WHERE evaluation_set_id = '${setId}' GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  t.same(
    targets.map((r) => `${r.category} ${r.namespace}`),
    ['LK molecular_function', 'NK cellular_component', 'NK molecular_function', 'PK cellular_component'],
    'NK, LK and PK targets exist',
  );
  t.same(await q(`SELECT count(*)::int AS n FROM evaluation_set`), [{ n: 1 }]);

  // evaluate import
  const imported = await cli(env, ['evaluate', 'import', '--format', 'cafa', PREDICTIONS, '--name', 'imperfect-demo', '--json']);
  t.equal(imported.code, 0, `evaluate import exits 0 ${imported.stderr}`);
  const summary = JSON.parse(imported.stdout) as { predictionSetId: string; jobId: string | null; predictionLines: number; duplicates: number; altIdMapped: number; unknown: { lines: number; examples: string[] }; header: { author: string } };
  t.match(summary, { predictionLines: 135, altIdMapped: 2, unknown: { lines: 1, examples: ['GO:0005515'] }, header: { author: 'protea-evaluation-demo' } });
  t.ok(summary.duplicates > 0, `duplicate lines merged (${summary.duplicates})`);
  t.ok(summary.jobId, 'the import ran as a job');

  // evaluate run
  const out = path.join(dir, 'results');
  const run = await cli(env, ['evaluate', 'run', '--set', setId, '--predictions', 'imperfect-demo', '--out', out]);
  t.equal(run.code, 0, `evaluate run exits 0 ${run.stderr}`);
  t.comment(run.stdout);
  const table = run.stdout.split('\n');
  const header = table.findIndex((l) => /^category\s+namespace\s+method\s+Fmax\s+tau\s+precision\s+recall\s+coverage\s+S-min\s+n$/.test(l));
  t.ok(header >= 0, 'the results table is printed');
  const tableRows = table.slice(header + 1, table.indexOf('', header));
  for (const target of targets) {
    for (const method of ['imperfect-demo', 'naive \\(baseline\\)']) {
      t.ok(
        tableRows.some((l) => new RegExp(`^${target.category}\\s+${target.namespace}\\s+${method}\\s`).test(l)),
        `the table has ${target.category} ${target.namespace} ${method}`,
      );
    }
  }

  const results = await q<{ id: string; kind: string; name: string; method: string; job_id: string | null }>(
    `SELECT r.id, p.kind, p.name, r.results->>'method' AS method, r.job_id FROM evaluation_result r JOIN prediction_set p ON p.id = r.prediction_set_id
      WHERE r.evaluation_set_id = '${setId}' ORDER BY p.kind DESC`,
  );
  t.same(results.map((r) => [r.kind, r.name, r.method]), [['imported', 'imperfect-demo', 'imperfect-demo'], ['baseline', 'naive', 'naive']], 'an evaluation result for the imported set and one for the naive baseline');
  t.ok(results[0]!.job_id && results[0]!.job_id === results[1]!.job_id, 'both belong to the run job');
  const jobs = await until(
    'the evaluation jobs to succeed',
    () => q<{ operation: string; status: string }>(`SELECT operation, status FROM job WHERE operation IN ('evaluation_set', 'evaluation_import', 'evaluation_run') ORDER BY operation`),
    (rows) => rows.length === 3 && rows.every((r) => r.status === 'succeeded'),
    { timeoutMs: 60_000 },
  );
  t.same(jobs.map((j) => j.operation), ['evaluation_import', 'evaluation_run', 'evaluation_set'], 'set, import and run were jobs and succeeded');

  // results.tsv against `protea evaluate files` on the exported ground truth
  const resultsTsv = tsv(readFileSync(path.join(out, 'results.tsv'), 'utf8'));
  t.ok(resultsTsv.length >= targets.length * 1, `results.tsv has rows (${resultsTsv.length})`);
  const naive = await naiveFrequencies();
  let compared = 0;
  for (const category of CATEGORIES) {
    const gt = path.join(dir, `gt_${category}.tsv`);
    const exp = await cli(env, ['evaluate', 'set', '--export', setId, '--category', category, '--out', gt]);
    t.equal(exp.code, 0, `ground truth of ${category} exported ${exp.stderr}`);
    const known = path.join(dir, 'known.tsv');
    if (category === 'PK') t.equal((await cli(env, ['evaluate', 'set', '--export', setId, '--known', '--out', known])).code, 0, 'known terms exported');
    // the naive predictions for this category's targets, per namespace
    const preds = path.join(dir, `preds_${category}`);
    mkdirSync(preds, { recursive: true });
    writeFileSync(path.join(preds, 'imperfect-demo'), readFileSync(PREDICTIONS));
    const lines: string[] = [];
    for (const r of targets.filter((x) => x.category === category)) {
      const proteins = await q<{ p: string }>(`SELECT DISTINCT protein_accession AS p FROM evaluation_target WHERE evaluation_set_id = '${setId}' AND category = '${category}' AND namespace = '${r.namespace}'`);
      for (const { p } of proteins) for (const [term, freq] of naive.get(r.namespace) ?? []) lines.push(`${p}\t${term}\t${freq}`);
    }
    writeFileSync(path.join(preds, 'naive'), `${lines.join('\n')}\n`);
    const filesOut = path.join(dir, `files_${category}`);
    const files = await cli(env, ['evaluate', 'files', '--ontology', OBO, '--ground-truth', gt, '--predictions', preds, '--out', filesOut, ...(category === 'PK' ? ['--known', known] : [])]);
    t.equal(files.code, 0, `evaluate files on ${category} exits 0 ${files.stderr}`);
    const reference = tsv(readFileSync(path.join(filesOut, 'best_f.tsv'), 'utf8'));
    const mine = resultsTsv.filter((r) => r.category === category);
    t.equal(mine.length, reference.length, `${category}: as many best-F rows as the file evaluator (${reference.length})`);
    for (const ref of reference) {
      const row = mine.find((r) => r.method === ref.method && r.ns === ref.ns);
      t.ok(row, `${category} ${ref.ns} ${ref.method} is in results.tsv`);
      if (!row) continue;
      const { category: _c, ...values } = row;
      t.same(values, ref, `${category} ${ref.ns} ${ref.method}: every column equals evaluate files (Fmax ${ref.f} at ${ref.tau})`);
      compared++;
    }
  }
  t.equal(compared, resultsTsv.length, `every row of results.tsv was cross-checked (${compared})`);
  // the older set has experimental annotations in cellular_component only: the naive baseline predicts there and nowhere else
  t.same(
    resultsTsv.filter((r) => r.method === 'naive').map((r) => `${r.category} ${r.ns}`),
    targets.filter((r) => r.namespace === 'cellular_component').map((r) => `${r.category} ${r.namespace}`),
    'the naive baseline has a best-F row wherever its reference has annotations',
  );
  t.match(run.stdout, /note: naive NK molecular_function: no prediction/, 'and the run says where it predicted nothing');

  // curves and plots: one SVG per category and namespace, one curve per method that has points
  const curves = tsv(readFileSync(path.join(out, 'curves.tsv'), 'utf8'));
  t.equal(curves.length, targets.length * 2 * 99, 'curves.tsv: 99 thresholds per category, namespace and method');
  const svgs = readdirSync(out).filter((f) => f.endsWith('.svg')).sort();
  t.same(svgs, targets.map((r) => `pr_${r.category}_${r.namespace}.svg`).sort(), 'one plot per category and namespace');
  for (const file of svgs) {
    const svg = readFileSync(path.join(out, file), 'utf8');
    t.match(svg, /^<\?xml[^]*<svg [^]*<\/svg>\n$/, `${file} is an SVG document`);
    const [, category, ns] = /^pr_([A-Z]{2})_(.+)\.svg$/.exec(file)!;
    const withRows = resultsTsv.filter((r) => r.category === category && r.ns === ns).length;
    t.equal(svg.match(/<g class="series"/g)?.length, 2, `${file}: both methods are series`);
    t.equal(svg.match(/<path class="pr-curve"/g)?.length ?? 0, withRows, `${file}: one curve per method with predictions there (${withRows})`);
    t.match(svg, /naive \(baseline\)/, `${file}: the naive baseline is in the legend`);
  }

  // --list and --show read the stored results back
  const list = await cli(env, ['evaluate', 'run', '--list', '--set', setId]);
  t.equal(list.stdout.trim().split('\n').length, 2, 'two stored results listed');
  const byName = await cli(env, ['evaluate', 'run', '--list', '--predictions', 'imperfect-demo']);
  t.match(byName.stdout.trim().split('\n'), [new RegExp(`^${results[0]!.id} .* imported imperfect-demo`)], '--list --predictions NAME: the imported set\'s result');
  const predictionSets = await cli(env, ['evaluate', 'run', '--list-predictions']);
  const listed = predictionSets.stdout.trim().split('\n');
  t.equal(listed.length, 2, '--list-predictions: two prediction sets');
  t.ok(listed.some((l) => / baseline\s+naive\s+goslim-generic-e2e\s+0 predictions$/.test(l)), 'the baseline set, without go_prediction rows');
  t.ok(listed.some((l) => new RegExp(` imported\\s+imperfect-demo\\s+goslim-generic-e2e\\s+${135 - 1 - summary.duplicates} predictions$`).test(l)), 'the imported set: its lines less the unknown one and the duplicates');
  const progress = await q<{ message: string }>(`SELECT message FROM job_event WHERE job_id = '${results[0]!.job_id}' AND event = 'progress' ORDER BY ts, id`);
  t.equal(progress.length, 1 + 3 * 2, 'the run job reports the loading and each category of each method');
  t.match(progress.at(-1)?.message, /baseline naive: PK scored/);
  const shown = await cli(env, ['evaluate', 'run', '--show', results[0]!.id, '--tsv']);
  t.same(tsv(shown.stdout), resultsTsv.filter((r) => r.method === 'imperfect-demo'), '--show --tsv prints the stored best-F rows of the imported set');
});
