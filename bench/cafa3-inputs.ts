// Inputs of the CAFA3 leave-one-out benchmark, written from the real CAFA3
// files (../shared/data/cafa3-benchmark, or PROTEA_CAFA3_DIR):
//   - targets.fasta: the target sequences (header = target id);
//   - groundtruth.gaf: GAF 2.2, one row per (target, term) of
//     groundtruth/leafonly_{MFO,BPO,CCO}.is_a (already propagated to every
//     ancestor), evidence EXP, so the whole ground truth is one annotation set;
//   - groundtruth.tsv: the same as `target term` lines (the evaluator's ground truth);
//   - flat.obo: an ontology release of the ground-truth terms with their names
//     and namespaces from naive-priors/ and no edges: the ground truth and
//     every transferred term set are ancestor-closed, so a flat release
//     evaluates them exactly.
// `limit` keeps the first N targets (by id) that have ground truth, `only` the
// targets named (demo/predict/derive.mjs makes the demo's small copy so).
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const CAFA3_DIR = process.env.PROTEA_CAFA3_DIR ?? path.resolve('..', 'shared', 'data', 'cafa3-benchmark');
export const FLAT_OBO_VERSION = 'cafa3-groundtruth-flat';

const NAMESPACES = { MFO: ['F', 'molecular_function', 'enables'], BPO: ['P', 'biological_process', 'involved_in'], CCO: ['C', 'cellular_component', 'located_in'] } as const;
type Ontology = keyof typeof NAMESPACES;

async function lines(file: string, onLine: (line: string) => void): Promise<void> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) onLine(line);
}

export interface Cafa3Inputs {
  dir: string;
  fasta: string;
  gaf: string;
  groundTruth: string;
  obo: string;
  targets: string[];
  /** targets with ground truth per namespace letter */
  perNamespace: Record<'F' | 'P' | 'C', number>;
  terms: number;
}

export async function writeCafa3Inputs(dir: string, opts: { limit?: number; only?: ReadonlySet<string>; source?: string } = {}): Promise<Cafa3Inputs> {
  const src = opts.source ?? CAFA3_DIR;
  const truth = new Map<string, { ont: Ontology; terms: string[] }[]>();
  for (const ont of Object.keys(NAMESPACES) as Ontology[]) {
    await lines(path.join(src, 'groundtruth', `leafonly_${ont}.is_a`), (line) => {
      const [target, terms] = line.trim().split('\t');
      if (!target || !terms) return;
      truth.set(target, [...(truth.get(target) ?? []), { ont, terms: terms.split(',').filter(Boolean) }]);
    });
  }
  // sequences of the targets with ground truth
  const sequences = new Map<string, string>();
  let current: string | null = null;
  await lines(path.join(src, 'sequences', 'gopredsim_cafa3_targets.fasta'), (line) => {
    if (line.startsWith('>')) {
      current = line.slice(1).trim().split(/\s+/)[0]!;
      sequences.set(current, '');
    } else if (current) sequences.set(current, sequences.get(current)! + line.trim());
  });
  let targets = [...truth.keys()].filter((t) => sequences.has(t)).sort();
  if (opts.only) targets = targets.filter((t) => opts.only!.has(t));
  if (opts.limit !== undefined) targets = targets.slice(0, opts.limit);
  const names = new Map<string, { name: string; namespace: string }>();
  for (const [letter, ns] of [['F', 'molecular_function'], ['P', 'biological_process'], ['C', 'cellular_component']] as const) {
    await lines(path.join(src, 'naive-priors', `naive.${letter}`), (line) => {
      const f = line.split('\t');
      if (f[0]?.startsWith('GO:') && f[4]) names.set(f[0], { name: f[4].trim(), namespace: ns });
    });
  }
  const used = new Map<string, string>();
  const gaf = ['!gaf-version: 2.2', '!generated-by: PROTEA-stream bench/cafa3-inputs.ts from the CAFA3 ground truth (leafonly_*.is_a, propagated)'];
  const gt: string[] = [];
  const perNamespace = { F: 0, P: 0, C: 0 };
  for (const target of targets) {
    // target ids are T<taxon id><serial>: the taxon is what precedes the last 8 digits
    const taxon = target.slice(1, -8) || '1';
    for (const { ont, terms } of truth.get(target)!) {
      const [letter, namespace, relation] = NAMESPACES[ont];
      perNamespace[letter] += 1;
      for (const term of terms) {
        used.set(term, namespace);
        gaf.push(['UniProtKB', target, target, relation, term, 'PMID:0', 'EXP', '', letter, '', '', 'protein', `taxon:${taxon}`, '20170101', 'CAFA3', '', ''].join('\t'));
        gt.push(`${target}\t${term}`);
      }
    }
  }
  const obo = ['format-version: 1.2', `data-version: ${FLAT_OBO_VERSION}`, 'remark: the CAFA3 ground-truth terms, names and namespaces from naive-priors/, no edges', ''];
  for (const [term, namespace] of [...used].sort()) {
    obo.push('[Term]', `id: ${term}`, `name: ${names.get(term)?.name ?? term}`, `namespace: ${names.get(term)?.namespace ?? namespace}`, '');
  }
  await mkdir(dir, { recursive: true });
  const out = (f: string) => path.join(dir, f);
  await writeFile(out('targets.fasta'), targets.map((t) => `>${t}\n${sequences.get(t)!.replace(/(.{60})/g, '$1\n').replace(/\n$/, '')}\n`).join(''));
  await writeFile(out('groundtruth.gaf'), gaf.join('\n') + '\n');
  await writeFile(out('groundtruth.tsv'), gt.join('\n') + '\n');
  await writeFile(out('flat.obo'), obo.join('\n'));
  return { dir, fasta: out('targets.fasta'), gaf: out('groundtruth.gaf'), groundTruth: out('groundtruth.tsv'), obo: out('flat.obo'), targets, perNamespace, terms: used.size };
}

/** The naive baseline as a CAFA file: every target gets the CAFA3 naive prior of each term (priors >= minScore). */
export async function writeNaivePredictions(file: string, targets: readonly string[], opts: { minScore?: number; source?: string } = {}): Promise<number> {
  const src = opts.source ?? CAFA3_DIR;
  const priors: [string, number][] = [];
  for (const letter of ['F', 'P', 'C']) {
    await lines(path.join(src, 'naive-priors', `naive.${letter}`), (line) => {
      const f = line.split('\t');
      const score = Number(f[1]);
      if (f[0]?.startsWith('GO:') && score >= (opts.minScore ?? 0.01)) priors.push([f[0], score]);
    });
  }
  const body = targets.flatMap((t) => priors.map(([term, s]) => `${t}\t${term}\t${s.toFixed(3)}`));
  await writeFile(file, body.join('\n') + '\n');
  return priors.length;
}

export async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8');
}
