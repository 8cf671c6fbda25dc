// The README's first command runs `protea demo`: here it runs as a user would
// (the built CLI), on a fresh database and topic namespace, and everything it
// promises is checked: every job succeeds, the rows land, and the evaluation
// step stores its results and writes its table, TSVs and plots.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT, loadConfig } from '../../lib/config.js';
import { adminQuery } from '../../lib/db.js';
import { DEMO_DEAD_LETTER_REASONS, demoLogFile } from '../../lib/demo.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { dropNamespace, namespaceName } from '../helpers/fresh-namespace.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'protea.js');

t.test('protea demo: every demo job succeeds, the rows land, and the evaluation step stores and writes its results', async (t) => {
  const url = await freshDatabase(t);
  const namespace = namespaceName();
  t.teardown(() => dropNamespace(namespace));
  const out = mkdtempSync(path.join(os.tmpdir(), 'protea-demo-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));

  const env = { ...process.env, PROTEA_DB_URL: url, PROTEA_TOPIC_NAMESPACE: namespace, PROTEA_LOG_LEVEL: 'warn', CI: 'true' };
  const logFile = demoLogFile(loadConfig(env));
  t.teardown(() => rmSync(logFile, { force: true }));
  const child = spawn(process.execPath, [BIN, 'demo', '--out', out], { env, cwd: PROJECT_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, 'exit code 0');
  if (code !== 0) t.comment(`stderr tail:\n${stderr.slice(-2000)}`);

  const jobLines = stdout.split('\n').filter((l) => /^ {2}[0-9a-f-]{36} {2}/.test(l));
  t.equal(jobLines.length, 11, 'eleven demo inputs, one job each');
  t.equal(jobLines.filter((l) => l.includes(' succeeded ')).length, 11, 'every job succeeded');

  const count = async (table: string) => (await adminQuery<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${table}`))[0]?.n;
  t.equal(await count('go_term'), 149 + 1520, 'the GO slim: 149 terms; the flat CAFA3 release: 1,520');
  t.equal(await count('annotation_set'), 4, 'four annotation sets: the GAF, its older and newer versions, the CAFA3 references');
  t.equal(await count('query_set_entry'), 27 + 8, '27 of the 33 E. coli entries land in their query set (six wrapped headers are dead-lettered), and the 8 CAFA3 queries');

  // the prediction step: every CAFA3 query predicted, its best terms printed with the neighbour they came from
  const predicted = await adminQuery<{ status: string; n: number }>(url, `
    SELECT q.status, count(*)::int AS n FROM prediction_query q JOIN prediction_set p ON p.id = q.prediction_set_id WHERE p.name = 'demo-knn' GROUP BY 1`);
  t.same(predicted, [{ status: 'predicted', n: 8 }], 'the 8 CAFA3 queries are predicted');
  t.ok((await count('go_prediction'))! > 0, 'their transferred terms are stored');
  const unfilled = await adminQuery<{ rows: number; unfilled: number }>(url, `
    SELECT count(*)::int AS rows, count(*) FILTER (WHERE num_nulls(identity_nw, similarity_nw, alignment_score_nw, gaps_pct_nw, alignment_length_nw, identity_sw, similarity_sw,
             alignment_score_sw, gaps_pct_sw, alignment_length_sw, length_query, length_ref, query_taxonomy_id, ref_taxonomy_id, taxonomic_lca, taxonomic_distance,
             taxonomic_common_ancestors, taxonomic_relation, vote_count, k_position, go_term_frequency, ref_annotation_density, neighbor_distance_std,
             neighbor_vote_fraction, neighbor_min_distance, neighbor_mean_distance) > 0)::int AS unfilled
      FROM go_prediction g JOIN prediction_set p ON p.id = g.prediction_set_id WHERE p.name = 'demo-knn'`);
  t.ok(unfilled[0]!.rows > 0 && unfilled[0]!.unfilled === 0, `every feature column of the demo's ${unfilled[0]!.rows} predictions is filled (alignment, taxonomy, neighbour statistics)`);
  t.match(stdout, /prediction set [0-9a-f-]{36} \(job [0-9a-f-]{36}, succeeded\): 8 queries predicted, \d+ query-term pairs, 0 unpredictable/, 'the prediction job and what it came to');
  t.match(stdout, /\n {6}GO:\d{7} {2}[01]\.\d{3} {2}[FPC] {2}.+ from T\d+ \(distance [0-9.]+; SW identity [01]\.\d\d, \d+ neighbours? carr(y|ies) it, taxon: (same|ancestor|descendant|sibling|other)\)/, 'a predicted term with its score, aspect, name, neighbour and that neighbour\'s features');

  // the evaluation step: one set, the imported predictor and the naive baseline, both stored
  t.equal(await count('evaluation_set'), 1, 'one evaluation set');
  const results = await adminQuery<{ kind: string; name: string }>(url,
    'SELECT p.kind, p.name FROM evaluation_result r JOIN prediction_set p ON p.id = r.prediction_set_id ORDER BY p.kind');
  t.same(results, [{ kind: 'baseline', name: 'naive' }, { kind: 'imported', name: 'demo-predictor' }], 'a result for the predictor and one for the naive baseline');
  t.match(stdout, /target proteins NK \d+, LK \d+, PK \d+/, 'the set has NK, LK and PK targets');
  t.match(stdout, /NK\s+cellular_component\s+demo-predictor\s+0\.\d{3}/, 'the table has the predictor\'s Fmax');
  t.match(stdout, /NK\s+cellular_component\s+naive \(baseline\)\s+0\.\d{3}/, 'and the naive baseline\'s beside it');

  // the demo data's known bad records: one summary line per stage and error code, with the count
  // the jobs recorded, instead of a JSON log line each (those go to the log file the summary names)
  const dead = await adminQuery<{ stage: string; error_code: string; n: number }>(url,
    "SELECT stage, error_code, count(*)::int AS n FROM job_event WHERE event = 'dead_letter' GROUP BY 1, 2 ORDER BY 1, 2");
  t.same(dead.map((d) => [d.stage, d.error_code]), [['dedup', 'PROTEA_ERR_SEQUENCE_INVALID'], ['ingest', 'PROTEA_ERR_INPUT_INVALID'], ['sinks', 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN']], 'three kinds of dead letters, all known ones');
  const summary = stdout.split('\n').filter((l) => / dead-lettered: /.test(l));
  t.equal(summary.length, dead.length, `one summary line per stage and error code:\n${summary.join('\n')}`);
  for (const d of dead) {
    t.ok(summary.some((l) => l.startsWith(`  ${d.n} `) && l.includes(`(${d.error_code}); see ${namespace}.dlq.${d.stage}`)), `${d.n} ${d.stage} ${d.error_code}: count, code and topic`);
  }
  t.ok(summary.some((l) => /^ {2}\d+ annotation rows dead-lettered: GO id not in the demo GO slim \(PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN\)/.test(l)), 'the GAF rows outside the slim, said so');
  t.notOk(summary.some((l) => l.includes('unexpected')), 'every dead letter is a known one');
  t.equal(Object.keys(DEMO_DEAD_LETTER_REASONS).length, dead.length, 'the demo explains each kind');
  t.equal((stderr.match(/"level":40/g) ?? []).length, 0, 'no warning log line on stderr');
  t.match(stdout, `logged in ${path.relative(PROJECT_ROOT, logFile)}`, 'the summary names the log file');
  const logged = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
  const warned = Number(/(\d+) warnings? logged in/.exec(stdout)?.[1]);
  t.ok(warned > 0, `the summary counts the warnings logged (${warned})`);
  t.equal(logged.filter((l) => l.level === 40).length, warned, 'the log file has those warnings');

  const files = readdirSync(out).sort();
  t.ok(files.includes('results.tsv') && files.includes('curves.tsv'), `results.tsv and curves.tsv written (${files.join(', ')})`);
  const plot = path.join(out, 'pr_NK_cellular_component.svg');
  t.ok(existsSync(plot), 'the NK cellular_component precision-recall plot is written');
  t.equal((readFileSync(plot, 'utf8').match(/class="pr-curve"/g) ?? []).length, 2, 'with one curve per method');
  const tsv = readFileSync(path.join(out, 'results.tsv'), 'utf8').trim().split('\n');
  t.ok(tsv.length > 2, `results.tsv has a header and a row per category, namespace and method (${tsv.length - 1} rows)`);
});
