// The fast metric core against a plain implementation of the same definitions
// (bench/evaluate.ts naiveEvaluate: dense matrices, propagation over children
// lists, every threshold rescanning every protein x term) on random small
// ontologies and annotations, over every option: prop, norm, noRoots, IA,
// known terms (PK) and several threshold steps. Scores are drawn on a 0.01 or
// 0.05 grid so that many of them sit exactly on a threshold.
import t from 'tap';
import { maxCurveDifference, naiveEvaluate } from '../../bench/evaluate.js';
import { Rng } from '../../bench/generate.js';
import { evaluate } from '../../evaluation/metrics.js';
import { buildOntology } from '../../evaluation/ontology.js';
import type { Annotation, EvaluationOptions, OntologyTermInput, ScoredPrediction } from '../../evaluation/types.js';

function randomCase(rng: Rng) {
  const terms: OntologyTermInput[] = [];
  const namespaces = ['ns_a', 'ns_b'];
  const byNs: string[][] = [[], []];
  const n = rng.range(6, 40);
  for (let i = 0; i < n; i++) {
    const k = rng.int(2);
    const id = `T${i}`;
    const isA: string[] = [];
    const partOf: string[] = [];
    // parents among earlier terms of the namespace (a DAG), sometimes none (more roots), sometimes elsewhere
    const earlier = byNs[k]!;
    const parents = earlier.length === 0 ? 0 : rng.chance(0.15) ? 0 : rng.range(1, 3);
    for (let p = 0; p < parents; p++) (rng.chance(0.3) ? partOf : isA).push(earlier[rng.int(earlier.length)]!);
    if (rng.chance(0.1) && byNs[1 - k]!.length > 0) partOf.push(byNs[1 - k]![0]!);
    const term: OntologyTermInput = { id, namespace: namespaces[k]!, isA, partOf };
    if (rng.chance(0.1)) term.altIds = [`ALT${i}`];
    if (rng.chance(0.07)) term.obsolete = true;
    terms.push(term);
    byNs[k]!.push(id);
  }
  const ids = [...terms.map((x) => x.id), ...terms.flatMap((x) => x.altIds ?? []), 'UNKNOWN'];
  const proteins = Array.from({ length: rng.range(1, 12) }, (_, i) => `p${i}`);
  const groundTruth: Annotation[] = [];
  const known: Annotation[] = [];
  const predictions: ScoredPrediction[] = [];
  const grid = rng.chance(0.5) ? 100 : 20;
  for (const p of proteins) {
    for (let k = rng.range(1, 4); k > 0; k--) groundTruth.push({ target: p, term: ids[rng.int(ids.length)]! });
    if (rng.chance(0.4)) for (let k = rng.range(1, 2); k > 0; k--) known.push({ target: p, term: ids[rng.int(ids.length)]! });
    if (rng.chance(0.15)) continue; // a protein without predictions
    for (let k = rng.range(1, 8); k > 0; k--) predictions.push({ target: p, term: ids[rng.int(ids.length)]!, score: rng.int(grid + 1) / grid });
  }
  predictions.push({ target: 'stranger', term: ids[0]!, score: 0.5 });
  const ia = new Map<string, number>();
  for (const x of terms) if (rng.chance(0.8)) ia.set(x.id, rng.chance(0.2) ? 0 : Math.round(rng.next() * 400) / 100);
  return { terms, groundTruth, known, predictions, ia };
}

t.test('evaluate() equals the plain implementation of the definitions on 300 random cases', async (t) => {
  const rng = new Rng(20241124);
  const steps = [0.01, 0.05, 0.1, 0.25, 0.3];
  let compared = 0;
  const failures: string[] = [];
  for (let i = 0; i < 300; i++) {
    const c = randomCase(rng);
    let ontology;
    try {
      ontology = buildOntology(c.terms);
    } catch {
      continue; // never happens: parents are always earlier terms
    }
    const o: EvaluationOptions = {
      prop: rng.chance(0.5) ? 'max' : 'fill',
      norm: (['cafa', 'pred', 'gt'] as const)[rng.int(3)]!,
      thStep: steps[rng.int(steps.length)]!,
      noRoots: rng.chance(0.3),
      ...(rng.chance(0.5) ? { ia: c.ia } : {}),
    };
    const pk = rng.chance(0.3);
    const fast = evaluate(ontology, c.groundTruth, c.predictions, o, pk ? c.known : undefined);
    const slow = naiveEvaluate(c.terms, c.groundTruth, c.predictions, o, pk ? c.known : []);
    const label = `case ${i} (${JSON.stringify({ ...o, ia: Boolean(o.ia), pk })})`;
    const diff = maxCurveDifference(fast, slow);
    if (!(diff < 1e-9)) failures.push(`${label}: curves differ by ${diff}`);
    for (let k = 0; k < Math.min(fast.length, slow.length); k++) {
      const a = fast[k]!;
      const b = slow[k]!;
      const same = (x: { tau: number } | null | undefined, y: { tau: number } | null | undefined) => (x ?? null)?.tau === (y ?? null)?.tau;
      if (!same(a.bestF, b.bestF) || !same(a.bestS, b.bestS) || !same(a.bestFW, b.bestFW) || !same(a.bestSW, b.bestSW)) failures.push(`${label}: best rows differ in ${a.namespace}`);
      if (a.predictedTargets !== b.predictedTargets) failures.push(`${label}: predictedTargets ${a.predictedTargets} vs ${b.predictedTargets}`);
    }
    compared++;
  }
  t.ok(compared >= 290, `${compared} cases compared`);
  t.same(failures.slice(0, 10), [], 'no difference');
});
