// The evaluator's TSV readers and writers, and `protea evaluate files` run as
// the built command on the CAFA-evaluator example.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { PROJECT_ROOT } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import { CURVE_COLUMNS, WEIGHTED_COLUMNS, bestTableTsv, formatTau, readGroundTruthTsv, readIaTsv, readPredictionsTsv } from '../../evaluation/files.js';
import { thresholds } from '../../evaluation/metrics.js';
import type { CurveRow } from '../../evaluation/types.js';

const EXAMPLE = path.join(PROJECT_ROOT, 'test/fixtures/cafa-evaluator-example');
const HEADER = 'method\tns\ttau\tn\ttp\tfp\tfn\tpr\trc\tcov\tmi\tru\tf\ts\tpr_micro\trc_micro\tf_micro';
const HEADER_W = `${HEADER}\tn_w\ttp_w\tfp_w\tfn_w\tpr_w\trc_w\tcov_w\tmi_w\tru_w\tf_w\ts_w\tpr_micro_w\trc_micro_w\tf_micro_w`;

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'protea-evalfiles-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function failure(p: Promise<unknown>): Promise<ProteaError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ProteaError)) throw new Error(`expected a ProteaError, got ${String(err)}`);
  return err;
}

t.test('predictions: header and CAFA records skipped, extra columns ignored, duplicates kept, gzip read', async (t) => {
  const dir = await tmp(t);
  const text = ['target\tterm\tscore', 'AUTHOR me', 'MODEL 1', 'KEYWORDS a, b, c.', 'P1\tGO:1\t0.5\textra', '', 'P1 GO:1  1', 'P2\tGO:2\t0', 'P3\tGO:3\t1e-2', 'END', ''].join('\n');
  await writeFile(path.join(dir, 'p.tsv'), text);
  await writeFile(path.join(dir, 'p.tsv.gz'), gzipSync(text));
  const want = [
    { target: 'P1', term: 'GO:1', score: 0.5 },
    { target: 'P1', term: 'GO:1', score: 1 },
    { target: 'P2', term: 'GO:2', score: 0 },
    { target: 'P3', term: 'GO:3', score: 0.01 },
  ];
  t.same(await readPredictionsTsv(path.join(dir, 'p.tsv')), want);
  t.same(await readPredictionsTsv(path.join(dir, 'p.tsv.gz')), want, 'gzip, detected by content');
});

t.test('predictions: a malformed line aborts the read with file, line and reason', async (t) => {
  const dir = await tmp(t);
  const cases: Array<[string, number, string, RegExp]> = [
    ['P1\tGO:1\t0.5\nP1\tGO:2\tabc\n', 2, 'score', /score "abc" is not a number/],
    ['P1\tGO:1\t0.5\nP1\tGO:2\t1.5\n', 2, 'score', /outside \[0, 1\]/],
    ['P1\tGO:1\t-0.1\n', 1, 'score', /outside \[0, 1\]/],
    ['P1\tGO:1\t0.5\nP1\tGO:2\n', 2, 'score', /got 2 fields/],
    ['P1\tGO:1\t0.5\n\nP9\n', 3, 'term', /got 1 field/],
    ['P1\tGO:1\t0.5\nP1\tGO:1\tNaN\n', 2, 'score', /not a number/],
  ];
  for (const [i, [text, line, field, reason]] of cases.entries()) {
    const file = path.join(dir, `bad${i}.tsv`);
    await writeFile(file, text);
    const err = await failure(readPredictionsTsv(file));
    t.equal(err.key, 'EVALUATION_INPUT_INVALID', `case ${i}`);
    t.equal(err.context.file, file);
    t.equal(err.context.line, line, `case ${i}: line ${line}`);
    t.equal(err.context.field, field);
    t.match(err.message, reason);
    t.ok(err.message.startsWith(`${file}:${line}: `), err.message);
  }
});

t.test('ground truth and IA files: blank lines skipped, one-field lines refused, nan/inf IA read as such', async (t) => {
  const dir = await tmp(t);
  await writeFile(path.join(dir, 'gt.tsv'), 'EntryID\tterm\taspect\nP1\tGO:1\tBPO\n\nP2 GO:2\n');
  t.same(await readGroundTruthTsv(path.join(dir, 'gt.tsv')), [
    { target: 'EntryID', term: 'term' },
    { target: 'P1', term: 'GO:1' },
    { target: 'P2', term: 'GO:2' },
  ], 'a header line is read as a line (its term is unknown to any ontology and ignored by the evaluator)');
  await writeFile(path.join(dir, 'gt-bad.tsv'), 'P1\tGO:1\nP2\n');
  const err = await failure(readGroundTruthTsv(path.join(dir, 'gt-bad.tsv')));
  t.equal(err.context.line, 2);

  await writeFile(path.join(dir, 'ia.tsv'), 'GO:1\t1.5\nGO:2\t-0.0\nGO:3\tnan\nGO:4\tinf\nGO:1\t2\n');
  const ia = await readIaTsv(path.join(dir, 'ia.tsv'));
  t.equal(ia.get('GO:1'), 2, 'last value wins');
  t.ok(Object.is(ia.get('GO:2'), -0));
  t.ok(Number.isNaN(ia.get('GO:3')));
  t.equal(ia.get('GO:4'), Infinity);
  await writeFile(path.join(dir, 'ia-bad.tsv'), 'GO:1\t1.5\nGO:2\thigh\n');
  const e2 = await failure(readIaTsv(path.join(dir, 'ia-bad.tsv')));
  t.equal(e2.context.line, 2);
  t.equal(e2.context.field, 'ia');
});

t.test('bestTableTsv: the exact header, full-precision values, tau on its grid', async (t) => {
  const tau = thresholds(0.01)[83]!;
  const row: CurveRow = { tau, n: 3, tp: 1 / 3, fp: 0, fn: 2, pr: 0.5, rc: 0.25, cov: 1, mi: 0, ru: 2, f: 1 / 3, s: 2, pr_micro: 1, rc_micro: 0.1, f_micro: 0.2 };
  const plain = bestTableTsv([{ method: 'm.tsv', namespace: 'bp', row }], false).split('\n');
  t.equal(plain[0], HEADER);
  t.same(plain[0]!.split('\t').slice(2), [...CURVE_COLUMNS]);
  t.equal(plain[1], `m.tsv\tbp\t0.84\t3\t${1 / 3}\t0\t2\t0.5\t0.25\t1\t0\t2\t${1 / 3}\t2\t1\t0.1\t0.2`);
  t.equal(formatTau(tau), '0.84', `${tau} is written 0.84`);
  const wrow = { ...row, ...Object.fromEntries(WEIGHTED_COLUMNS.map((c, i) => [c, i])) } as CurveRow;
  t.equal(bestTableTsv([{ method: 'm', namespace: 'bp', row: wrow }], true).split('\n')[0], HEADER_W);
  t.throws(() => bestTableTsv([{ method: 'm', namespace: 'bp', row }], true), 'weighted columns missing from a row');
});

const bin = path.join(PROJECT_ROOT, 'bin/protea.js');
const run = (args: string[]) => spawnSync(process.execPath, [bin, 'evaluate', 'files', ...args], { encoding: 'utf8' });

t.test('protea evaluate files (built command) on the CAFA-evaluator example writes the best and curve files with the exact headers', async (t) => {
  const out = path.join(await tmp(t), 'out');
  const base = ['--ontology', path.join(EXAMPLE, 'IDPO_disorder_function.obo'), '--ground-truth', path.join(EXAMPLE, 'ground_truth.tsv'), '--predictions', path.join(EXAMPLE, 'predictions')];
  const r = run([...base, '--out', out]);
  t.equal(r.status, 0, r.stderr);
  t.same((await readdir(out)).sort(), ['best_f.tsv', 'best_s.tsv', 'curves.tsv']);
  for (const f of ['best_f.tsv', 'best_s.tsv', 'curves.tsv']) {
    const lines = (await readFile(path.join(out, f), 'utf8')).trimEnd().split('\n');
    t.equal(lines[0], HEADER, `${f} header`);
    if (f !== 'curves.tsv') t.same(lines.slice(1).map((l) => l.split('\t').slice(0, 2).join(' ')), [1, 2, 3, 4, 5].map((i) => `pred_${i}.tsv disorder_function`), `${f}: one row per file and namespace`);
    else t.equal(lines.length - 1, 5 * 99, 'curves: every threshold of every file');
  }
  t.match(r.stdout, /method\s+ns\s+Fmax\s+tau\s+cov\s+Smin\s+tau/);
  t.match(r.stdout, /pred_4\.tsv\s+disorder_function\s+0\.776\s+0\.06/, 'pred_4 Fmax 0.776 at 0.06 (the reference\'s README figure)');

  const outW = path.join(await tmp(t), 'outw');
  const w = run([...base, '--ia', path.join(EXAMPLE, 'ia.tsv'), '--prop', 'fill', '--norm', 'gt', '--no-roots', '--th-step', '0.05', '--out', outW]);
  t.equal(w.status, 0, w.stderr);
  t.same((await readdir(outW)).sort(), ['best_f.tsv', 'best_f_w.tsv', 'best_s.tsv', 'best_s_w.tsv', 'curves.tsv']);
  for (const f of await readdir(outW)) t.equal((await readFile(path.join(outW, f), 'utf8')).split('\n')[0], HEADER_W, `${f} header with the weighted columns`);
  t.match(w.stdout, /wFmax/);
});

t.test('protea evaluate files: bad input and bad options fail with the reason, the file and the line', async (t) => {
  const dir = await tmp(t);
  const preds = path.join(dir, 'predictions');
  await cp(path.join(EXAMPLE, 'predictions'), preds, { recursive: true });
  await writeFile(path.join(preds, 'pred_3.tsv'), `${await readFile(path.join(preds, 'pred_3.tsv'), 'utf8')}T_1\tIDPO:00024\thigh\n`);
  const lines = (await readFile(path.join(preds, 'pred_3.tsv'), 'utf8')).trimEnd().split('\n').length;
  const base = ['--ontology', path.join(EXAMPLE, 'IDPO_disorder_function.obo'), '--ground-truth', path.join(EXAMPLE, 'ground_truth.tsv'), '--out', path.join(dir, 'out')];
  const bad = run([...base, '--predictions', preds]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /PROTEA_ERR_EVALUATION_INPUT_INVALID/);
  t.match(bad.stderr, `pred_3.tsv:${lines}: score "high" is not a number`);
  t.notOk(existsSync(path.join(dir, 'out')), 'nothing written');

  const step = run([...base, '--predictions', path.join(EXAMPLE, 'predictions'), '--th-step', '0']);
  t.equal(step.status, 1);
  t.match(step.stderr, /PROTEA_ERR_USAGE: th-step must be a number in \[0.0001, 1\)/);
  const prop = run([...base, '--predictions', path.join(EXAMPLE, 'predictions'), '--prop', 'avg']);
  t.not(prop.status, 0);
  t.match(prop.stderr, /--prop.*avg.*(max|fill)/s);
  const empty = path.join(dir, 'empty');
  await cp(path.join(EXAMPLE, 'predictions/pred_1.tsv'), path.join(empty, 'x.tsv'), { recursive: true }).catch(() => undefined);
  await writeFile(path.join(empty, 'x.tsv'), 'T_999\tIDPO:00024\t0.5\n');
  const none = run([...base, '--predictions', empty]);
  t.equal(none.status, 1);
  t.match(none.stderr, /not evaluated/);
  t.match(none.stderr, /PROTEA_ERR_EVALUATION_EMPTY/);
  const help = run(['--help']);
  t.equal(help.status, 0);
  for (const o of ['--ontology', '--ground-truth', '--predictions', '--out', '--ia', '--known', '--prop', '--norm', '--no-roots', '--th-step']) t.match(help.stdout, o);
});
