// The feature enricher's pure parts: alignment features equal parasail's
// reference values (empty, one-residue and 10,000-residue pairs included) and
// each pair is aligned once; taxonomy features on the bundled NCBI Mammalia
// subtree for human, mouse and rat pairs checked by hand; neighbour statistics
// checked against hand-computed values on a small KNN result; a family not
// asked for stays null and a missing input is reported with its reason; a
// query's parts never split the rows of one GO term.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import t from 'tap';
import { PROJECT_ROOT } from '../../lib/config.js';
import { AlignmentPool } from '../../processors/alignment/index.js';
import { PairAligner } from '../../processors/enricher/alignment-features.js';
import { enrichTerms } from '../../processors/enricher/features.js';
import { neighbourStatistics, type AnnotationSetStatistics } from '../../processors/enricher/neighbour-statistics.js';
import { taxonomyFeatures } from '../../processors/enricher/taxonomy-features.js';
import { TERMS_PER_PART, splitByTerm } from '../../processors/predictor/records.js';
import type { PredictedTerm, PredictionRecord } from '../../schemas/generated/types.js';
import { lineagesFromDump } from '../helpers/ncbi-lineages.js';

interface Stats { score: number; matches: number; positives: number; gaps: number; length: number }
interface Pair { name: string; query: string; ref: string; local: Stats; global: Stats }
const fixture = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/alignment/parasail-reference.json'), 'utf8')) as { pairs: Pair[] };

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

t.test('alignment features equal parasail\'s values for every reference pair; an empty sequence gives null features with its lengths', async (t) => {
  const pool = new AlignmentPool({ threads: 2 });
  t.teardown(() => pool.close());
  // the 10,000 x 9,897 pair is aligned when the limit allows it
  const aligner = new PairAligner(pool, { maxCells: 200_000_000, cacheSize: 100 });
  const pairs = fixture.pairs.map((p, i) => ({ query: { md5: `q${i}`, sequence: p.query }, ref: { md5: `r${i}`, sequence: p.ref } }));
  const got = await aligner.align(pairs);
  fixture.pairs.forEach((p, i) => {
    const g = got[i]!;
    if (p.query.length === 0 || p.ref.length === 0) {
      t.same(g, { missing: 'empty_sequence', features: { ...g.features, identity_nw: null, identity_sw: null, alignment_score_nw: null, alignment_score_sw: null } }, `${p.name}: no alignment`);
      t.same([g.features.length_query, g.features.length_ref, g.features.alignment_length_sw], [p.query.length, p.ref.length, null], `${p.name}: lengths set, alignment null`);
      return;
    }
    const { local: sw, global: nw } = p;
    t.same(g.features, {
      identity_nw: ratio(nw.matches, nw.length), similarity_nw: ratio(nw.positives, nw.length), alignment_score_nw: nw.score, gaps_pct_nw: ratio(100 * nw.gaps, nw.length), alignment_length_nw: nw.length,
      identity_sw: ratio(sw.matches, sw.length), similarity_sw: ratio(sw.positives, sw.length), alignment_score_sw: sw.score, gaps_pct_sw: ratio(100 * sw.gaps, sw.length), alignment_length_sw: sw.length,
      length_query: p.query.length, length_ref: p.ref.length,
    }, `${p.name} (${p.query.length} x ${p.ref.length})`);
    t.equal(g.missing, null);
  });
  const aligned = fixture.pairs.filter((p) => p.query.length > 0 && p.ref.length > 0).length;
  t.same(aligner.stats, { computed: aligned, cached: 0 }, 'each non-empty pair aligned once');
  await aligner.align(pairs.slice(0, 3));
  t.same(aligner.stats, { computed: aligned, cached: 3 }, 'asked again: from the cache');
});

t.test('two calls at once (batches of two partitions) align a pair they share once, and both get its features', async (t) => {
  const pool = new AlignmentPool({ threads: 1 });
  t.teardown(() => pool.close());
  const aligner = new PairAligner(pool, { maxCells: 25_000_000, cacheSize: 100 });
  const usable = fixture.pairs.filter((p) => p.query.length > 0 && p.ref.length > 0 && p.query.length * p.ref.length <= 25_000_000).slice(0, 4);
  t.ok(usable.length >= 3, 'at least 3 alignable reference pairs');
  const pairs = usable.map((p, i) => ({ query: { md5: `q${i}`, sequence: p.query }, ref: { md5: `r${i}`, sequence: p.ref } }));
  // the first call holds pairs 0..n-2; the second, started before the first ends, pairs 1..n-1
  const tallyA = { computed: 0, cached: 0 };
  const tallyB = { computed: 0, cached: 0 };
  const [a, b] = await Promise.all([aligner.align(pairs.slice(0, -1), tallyA), aligner.align(pairs.slice(1), tallyB)]);
  t.equal(aligner.stats.computed, pairs.length, 'every distinct pair aligned once');
  t.equal(aligner.stats.cached, pairs.length - 2, 'the shared pairs were taken from the call aligning them');
  t.same([tallyA, tallyB], [{ computed: pairs.length - 1, cached: 0 }, { computed: 1, cached: pairs.length - 2 }], "each call's tally counts its own pairs only (the stage's metrics add them up)");
  for (let i = 1; i < pairs.length - 1; i++) t.same(b[i - 1], a[i], `shared pair ${i}: the same features in both calls`);
  const nw = usable[pairs.length - 1]!.global;
  t.equal(b[pairs.length - 2]!.features.alignment_score_nw, nw.score, "the second call's own pair: parasail's global score");
});

t.test('a pair above the size limit is not aligned: null alignment features, lengths set, reason too_large', async (t) => {
  const pool = new AlignmentPool({ threads: 1 });
  t.teardown(() => pool.close());
  const big = fixture.pairs.find((p) => p.query.length === 10_000)!;
  const aligner = new PairAligner(pool, { maxCells: 25_000_000, cacheSize: 10 });
  const [g] = await aligner.align([{ query: { md5: 'a', sequence: big.query }, ref: { md5: 'b', sequence: big.ref } }]);
  t.equal(g!.missing, 'too_large');
  t.same([g!.features.identity_sw, g!.features.identity_nw, g!.features.length_query, g!.features.length_ref], [null, null, 10_000, big.ref.length]);
  t.same(aligner.stats, { computed: 0, cached: 0 });
});

// the bundled NCBI subtree: class Mammalia and its lineage to the root
const lineageOf = lineagesFromDump(readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/data/taxonomy-ncbi-mammalia/nodes.dmp'), 'utf8'));
const HUMAN = 9606, MOUSE = 10090, RAT = 10116, MUS = 10088, H_HEIDELBERGENSIS = 1425170;

t.test('taxonomy features of human, mouse and rat pairs on the NCBI subtree, checked by hand', async (t) => {
  const f = (q: number | null, r: number | null) => taxonomyFeatures(q, r, lineageOf);
  // human 9606 -> Homo -> Homininae -> Hominidae -> Hominoidea -> Catarrhini -> Simiiformes -> Haplorrhini -> Primates -> Euarchontoglires 314146
  // mouse 10090 -> Mus (subgenus) 862507 -> Mus 10088 -> Murinae -> Muridae -> Muroidea -> Myomorpha -> Rodentia -> Glires -> Euarchontoglires 314146
  t.same(f(HUMAN, MOUSE), { features: { query_taxonomy_id: HUMAN, ref_taxonomy_id: MOUSE, taxonomic_lca: 314146, taxonomic_distance: 18, taxonomic_common_ancestors: 23, taxonomic_relation: 'other' }, missing: null }, 'human vs mouse: Euarchontoglires, 9 + 9 edges, 23 shared (Euarchontoglires up to the root)');
  // rat 10116 -> Rattus 10114 -> Murinae 39107: mouse is 3 edges below Murinae, rat 2
  t.same(f(MOUSE, RAT).features, { query_taxonomy_id: MOUSE, ref_taxonomy_id: RAT, taxonomic_lca: 39107, taxonomic_distance: 5, taxonomic_common_ancestors: 29, taxonomic_relation: 'other' }, 'mouse vs rat: Murinae, 3 + 2 edges');
  t.same(f(RAT, MOUSE).features.taxonomic_distance, 5, 'symmetric distance');
  t.same(f(MOUSE, MUS).features, { query_taxonomy_id: MOUSE, ref_taxonomy_id: MUS, taxonomic_lca: MUS, taxonomic_distance: 2, taxonomic_common_ancestors: 30, taxonomic_relation: 'ancestor' }, 'a reference annotated at the genus Mus: an ancestor of the mouse query, 2 edges up');
  t.equal(f(MUS, MOUSE).features.taxonomic_relation, 'descendant', 'the other way round: descendant');
  t.same(f(HUMAN, HUMAN).features, { query_taxonomy_id: HUMAN, ref_taxonomy_id: HUMAN, taxonomic_lca: HUMAN, taxonomic_distance: 0, taxonomic_common_ancestors: 32, taxonomic_relation: 'same' }, 'human vs human: same, 0 edges, its whole lineage of 32');
  t.same(f(HUMAN, H_HEIDELBERGENSIS).features, { query_taxonomy_id: HUMAN, ref_taxonomy_id: H_HEIDELBERGENSIS, taxonomic_lca: 9605, taxonomic_distance: 2, taxonomic_common_ancestors: 31, taxonomic_relation: 'sibling' }, 'Homo sapiens vs Homo heidelbergensis: siblings under Homo');
  t.same(f(null, MOUSE), { features: { query_taxonomy_id: null, ref_taxonomy_id: MOUSE, taxonomic_lca: null, taxonomic_distance: null, taxonomic_common_ancestors: null, taxonomic_relation: null }, missing: 'query_taxonomy_unknown' }, 'a query without a taxon: null, with the reason');
  t.equal(f(HUMAN, null).missing, 'ref_taxonomy_unknown');
  t.same(f(HUMAN, 562), { features: { query_taxonomy_id: HUMAN, ref_taxonomy_id: 562, taxonomic_lca: null, taxonomic_distance: null, taxonomic_common_ancestors: null, taxonomic_relation: null }, missing: 'taxon_not_in_taxonomy' }, 'E. coli is outside the loaded subtree: the ids are kept, the rest null');
  const disjoint = (x: number) => (x === 1 ? [1] : x === 2 ? [2] : undefined);
  t.equal(taxonomyFeatures(1, 2, disjoint).missing, 'no_common_ancestor', 'two lineages that never meet');
});

const usage: AnnotationSetStatistics = {
  references: 10,
  proteinsWithTerm: new Map([['GO:A', 4], ['GO:B', 10], ['GO:C', 1]]),
  termsOfProtein: new Map([['R1', 3], ['R2', 2], ['R3', 5]]),
};
const row = (go_id: string, ref_accession: string, distance: number, aspect: string) => ({ go_id, ref_accession, distance, aspect });
// a KNN result, k = 3 in F (R1 0.1, R2 0.2, R3 0.4) and k = 2 in P (R4 0.3, R5 0.5, R5 without the term)
const ROWS = [
  row('GO:A', 'R1', 0.1, 'F'), row('GO:B', 'R1', 0.1, 'F'), row('GO:A', 'R2', 0.2, 'F'), row('GO:B', 'R2', 0.2, 'F'),
  row('GO:B', 'R3', 0.4, 'F'), row('GO:C', 'R3', 0.4, 'F'), row('GO:D', 'R4', 0.3, 'P'),
];

t.test('neighbour statistics equal hand-computed values on a small KNN result', async (t) => {
  const s = neighbourStatistics(ROWS, { F: 3, P: 2 }, usage);
  const close = (a: number | null, b: number) => a !== null && Math.abs(a - b) < 1e-12;
  // GO:A from R1 (0.1) and R2 (0.2): 2 of 3 neighbours, mean 0.15, std 0.05
  t.match(s[0], { vote_count: 2, go_term_frequency: 0.4, ref_annotation_density: 3, neighbor_min_distance: 0.1 });
  t.ok(close(s[0]!.neighbor_vote_fraction, 2 / 3) && close(s[0]!.neighbor_mean_distance, 0.15) && close(s[0]!.neighbor_distance_std, 0.05), 'GO:A: 2/3, mean 0.15, std 0.05');
  t.equal(s[2]!.ref_annotation_density, 2, 'the R2 row of GO:A: R2\'s 2 terms');
  // GO:B from all three: mean 0.7/3, population std sqrt(((0.1-m)^2 + (0.2-m)^2 + (0.4-m)^2) / 3) = sqrt(0.14/9)
  t.match(s[1], { vote_count: 3, go_term_frequency: 1, neighbor_vote_fraction: 1, neighbor_min_distance: 0.1 });
  t.ok(close(s[1]!.neighbor_mean_distance, 0.7 / 3) && close(s[1]!.neighbor_distance_std, Math.sqrt(0.14 / 9)), 'GO:B: mean 0.2333, std 0.1247');
  t.ok(close(s[1]!.neighbor_distance_std, 0.12472191289246472), 'GO:B std by hand');
  t.match(s[5], { vote_count: 1, go_term_frequency: 0.1, ref_annotation_density: 5, neighbor_distance_std: 0, neighbor_min_distance: 0.4, neighbor_mean_distance: 0.4 });
  t.ok(close(s[5]!.neighbor_vote_fraction, 1 / 3), 'GO:C: 1 of 3');
  t.match(s[6], { vote_count: 1, neighbor_vote_fraction: 0.5, go_term_frequency: null, ref_annotation_density: null }, 'GO:D in P: 1 of the 2 P neighbours; a term and protein the usage does not know are null');
  // without the predictor's counts: the distinct references of the aspect in the message (P: only R4 carries anything)
  const counted = neighbourStatistics(ROWS, null, usage);
  t.ok(close(counted[0]!.neighbor_vote_fraction, 2 / 3) && counted[6]!.neighbor_vote_fraction === 1, 'n falls back to the references seen per aspect');
  t.equal(neighbourStatistics(ROWS, { all: 5 }, usage)[0]!.neighbor_vote_fraction, 0.4, 'one index over all aspects: n = all');
});

t.test('only the families asked for are filled; a missing input is reported with its family and reason', async (t) => {
  const terms: PredictedTerm[] = ROWS.map((r, i) => ({ go_id: r.go_id, ref_accession: r.ref_accession, distance: r.distance, score: 0.5, qualifier: null, evidence_code: 'EXP', aspect: r.aspect, k_position: 1 + (i % 3), features: null }));
  const record: PredictionRecord = { prediction_set_id: 's', job_id: 'j', query_accession: 'Q', query_md5: 'm', reason: null, neighbours: 5, neighbours_by_aspect: { F: 3, P: 2 }, part_index: 0, part_count: 1, terms };
  const taxa = new Map<string, number | null>([['Q', MOUSE], ['R1', RAT], ['R2', HUMAN], ['R3', null]]);
  const { features, nulls } = enrichTerms(record, {
    families: new Set(['taxonomy', 'neighbours']),
    taxonOf: (acc) => taxa.get(acc),
    lineageOf,
    alignmentOf: () => { throw new Error('alignment was not asked for'); },
    usage,
  });
  t.ok(features.every((f) => f.identity_sw === null && f.identity_nw === null && f.length_query === null), 'no alignment feature');
  t.match(features[0], { ref_taxonomy_id: RAT, taxonomic_lca: 39107, vote_count: 2 });
  t.same(nulls, [
    { family: 'taxonomy', reason: 'ref_taxonomy_unknown' }, // R3 (GO:B)
    { family: 'taxonomy', reason: 'ref_taxonomy_unknown' }, // R3 (GO:C)
    { family: 'taxonomy', reason: 'ref_taxonomy_unknown' }, // R4 unknown protein
    { family: 'neighbours', reason: 'term_not_in_annotation_set' },
    { family: 'neighbours', reason: 'ref_not_in_annotation_set' },
  ], 'each null with its family and reason');
});

t.test('a full part of enriched terms stays below the broker\'s 1 MB default message size', async (t) => {
  const type = avro.Type.forSchema(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'schemas/prediction.avsc'), 'utf8')) as avro.Schema);
  // every field at a long value: 10-character accessions, long qualifiers, every feature set
  const features = {
    identity_nw: 0.123456789, similarity_nw: 0.23456789, alignment_score_nw: -12345, gaps_pct_nw: 12.3456789, alignment_length_nw: 35000,
    identity_sw: 0.3456789, similarity_sw: 0.456789, alignment_score_sw: 45678, gaps_pct_sw: 3.456789, alignment_length_sw: 35000, length_query: 35000, length_ref: 35000,
    query_taxonomy_id: 2_000_000_000, ref_taxonomy_id: 2_000_000_000, taxonomic_lca: 2_000_000_000, taxonomic_distance: 60, taxonomic_common_ancestors: 60, taxonomic_relation: 'descendant',
    vote_count: 1000, go_term_frequency: 0.000123456789, ref_annotation_density: 1234, neighbor_distance_std: 0.0123456789, neighbor_vote_fraction: 0.123456789,
    neighbor_min_distance: 0.123456789, neighbor_mean_distance: 0.23456789,
  };
  const terms: PredictedTerm[] = Array.from({ length: TERMS_PER_PART }, (_, i) => ({
    go_id: `GO:${String(i).padStart(7, '0')}`, ref_accession: 'A0A0B4J2F0-12', distance: 0.123456789, score: 0.87654321, qualifier: 'NOT|colocalizes_with', evidence_code: 'HTP', aspect: 'C', k_position: 1000, features,
  }));
  const record: PredictionRecord = { prediction_set_id: '0194703b-0a1b-7c2d-8e3f-4a5b6c7d8e9f', job_id: '0194703a-5c2e-7d41-8b6f-3e9a2c1d4f57', query_accession: 'A0A0B4J2F0-12', query_md5: 'a'.repeat(32), reason: null, neighbours: 3000, neighbours_by_aspect: { F: 1000, P: 1000, C: 1000 }, part_index: 0, part_count: 1, terms };
  const bytes = type.toBuffer(record).length;
  t.ok(bytes < 1_000_000, `${TERMS_PER_PART} enriched terms encode to ${bytes} bytes`);
});

t.test('when a query\'s terms are split into parts, the rows of one GO term stay in one part', async (t) => {
  const terms: PredictedTerm[] = [];
  for (let r = 0; r < 7; r++) for (const go of ['GO:1', 'GO:2', 'GO:3']) terms.push({ go_id: go, ref_accession: `R${r}`, distance: r / 10, score: 1, qualifier: null, evidence_code: null, aspect: 'F', k_position: r + 1, features: null });
  const parts = splitByTerm(terms, 10);
  t.same(parts.map((p) => p.length), [7, 7, 7], 'a part holds whole terms (7 rows each) under the limit of 10');
  t.ok(parts.every((p) => new Set(p.map((x) => x.go_id)).size === 1), 'one term per part here');
  t.same(splitByTerm(terms, 100), [terms], 'under the limit: one part, in the given order');
  t.same(splitByTerm(terms, 3).map((p) => p.length), [7, 7, 7], 'a term larger than the limit is one part of its own');
});
