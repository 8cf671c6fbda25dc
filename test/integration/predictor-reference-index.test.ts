// The KNN reference index built from PostgreSQL, against a brute-force scan
// written here from the raw rows: the reference proteins (positive
// annotations with a wanted evidence code, in the aspect, with a vector), the
// chunk-averaged vectors, and the neighbours and distances of every query for
// cosine and Euclidean, aspect-separated and not, with and without
// exclude-self, with k (ties at the k-th kept within TIE_TOLERANCE) and with a
// threshold. Then the cache: a second open reads the files, a change to the
// annotations or vectors rebuilds.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createCopyPool } from '../../lib/db.js';
import { mulberry32 } from '../../lib/seeded-random.js';
import { queryVectors } from '../../lib/queries/reference-embeddings.js';
import { ReferenceIndex } from '../../processors/predictor/reference-index.js';
import { SearchPool } from '../../processors/predictor/search-pool.js';
import { TIE_TOLERANCE, type Metric, type Neighbour } from '../../processors/predictor/transfer.js';
import { freshDatabase } from '../helpers/fresh-database.js';

const DIM = 12;
const EVIDENCE = ['IDA', 'EXP'];
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

interface World {
  seqs: { id: number; md5: string; chunks: number[][] }[];
  proteins: { accession: string; seq: number | null }[];
  annotations: { accession: string; go: string; aspect: 'F' | 'P' | 'C'; qualifier: string; evidence: string; aspectColumn: boolean }[];
}

function makeWorld(): World {
  const rnd = mulberry32(20261202);
  const vec = () => Array.from({ length: DIM }, () => rnd() * 2 - 1);
  const seqs: World['seqs'] = [];
  for (let i = 0; i < 60; i++) {
    // every 7th sequence in two chunks (averaged), every 11th a copy of the previous one's vector (exact ties)
    const chunks = i % 11 === 10 ? seqs[i - 1]!.chunks.map((c) => [...c]) : i % 7 === 3 ? [vec(), vec()] : [vec()];
    seqs.push({ id: i + 1, md5: md5(`seq${i}`), chunks });
  }
  const proteins: World['proteins'] = [];
  for (let i = 0; i < 60; i++) proteins.push({ accession: `P${String(i).padStart(4, '0')}`, seq: i + 1 });
  // a second accession on some sequences; one protein whose sequence has no vector; one with no sequence
  for (const i of [2, 5, 17, 40]) proteins.push({ accession: `Q${String(i).padStart(4, '0')}`, seq: i + 1 });
  proteins.push({ accession: 'R0001', seq: 61 }, { accession: 'R0002', seq: null });
  const annotations: World['annotations'] = [];
  const terms = { F: ['GO:0000001', 'GO:0000002', 'GO:0000003'], P: ['GO:0000011', 'GO:0000012'], C: ['GO:0000021', 'GO:0000022'] } as const;
  for (const p of proteins) {
    const n = Math.floor(rnd() * 4);
    for (let j = 0; j < n; j++) {
      const aspect = (['F', 'P', 'C'] as const)[Math.floor(rnd() * 3)]!;
      const go = terms[aspect][Math.floor(rnd() * terms[aspect].length)]!;
      const evidence = ['IDA', 'EXP', 'IEA', 'IDA'][Math.floor(rnd() * 4)]!;
      const qualifier = rnd() < 0.15 ? 'NOT|enables' : 'enables';
      if (annotations.some((a) => a.accession === p.accession && a.go === go && a.evidence === evidence && a.qualifier === qualifier)) continue;
      annotations.push({ accession: p.accession, go, aspect, qualifier, evidence, aspectColumn: rnd() < 0.7 });
    }
  }
  return { seqs, proteins, annotations };
}

const mean = (chunks: number[][]) => chunks[0]!.map((_, j) => chunks.reduce((s, c) => s + c[j]!, 0) / chunks.length);
const f32 = (v: number[]) => Array.from(Float32Array.from(v)); // what the database stores

/** Brute force: every reference protein's distance to q, sorted by (distance, accession), selected with ties. */
function bruteForce(world: World, q: number[], metric: Metric, aspect: 'F' | 'P' | 'C' | null, k: number | null, threshold: number | null, excludeMd5: string | null) {
  const refs = new Set(
    world.annotations
      .filter((a) => EVIDENCE.includes(a.evidence) && !a.qualifier.startsWith('NOT') && (aspect === null || a.aspect === aspect))
      .map((a) => a.accession),
  );
  const norm = (v: number[]) => {
    const n = Math.hypot(...v);
    return n > 0 ? v.map((x) => x / n) : v;
  };
  const rows: { accession: string; md5: string; distance: number }[] = [];
  for (const p of world.proteins) {
    if (!refs.has(p.accession) || p.seq === null) continue;
    const s = world.seqs.find((x) => x.id === p.seq);
    if (!s || s.md5 === excludeMd5) continue; // no vector (R0001) or the query's own sequence
    const v = mean(s.chunks.map(f32));
    let distance: number;
    if (metric === 'cosine') {
      const a = norm(q);
      const b = norm(v);
      distance = 1 - a.reduce((sum, x, j) => sum + x * b[j]!, 0);
    } else distance = Math.sqrt(q.reduce((sum, x, j) => sum + (x - v[j]!) ** 2, 0));
    rows.push({ accession: p.accession, md5: s.md5, distance });
  }
  rows.sort((a, b) => a.distance - b.distance || (a.accession < b.accession ? -1 : 1));
  let kept = threshold === null ? rows : rows.filter((r) => r.distance <= threshold);
  if (k !== null && kept.length > k) {
    const dk = kept[k - 1]!.distance;
    kept = kept.filter((r) => r.distance <= dk + TIE_TOLERANCE);
  }
  return kept;
}

async function seed(url: string, world: World) {
  const pool = createCopyPool(url, 2);
  const c = await pool.connect();
  try {
    const snap = (await c.query(`INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('test', 'test-1') RETURNING id`)).rows[0].id as string;
    const termIds = new Map<string, number>();
    for (const a of world.annotations) {
      if (termIds.has(a.go)) continue;
      const r = await c.query(`INSERT INTO go_term (ontology_snapshot_id, go_id, aspect) VALUES ($1, $2, $3) RETURNING id`, [snap, a.go, a.aspect]);
      termIds.set(a.go, r.rows[0].id);
    }
    const set = (await c.query(`INSERT INTO annotation_set (source, source_version, ontology_snapshot_id) VALUES ('test', '1', $1) RETURNING id`, [snap])).rows[0].id as string;
    const config = (await c.query(`INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size) VALUES ('m', 'kmer', 1000, 512) RETURNING id`)).rows[0].id as string;
    const other = (await c.query(`INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size) VALUES ('m2', 'kmer', 1000, 512) RETURNING id`)).rows[0].id as string;
    for (let i = 0; i < 61; i++) {
      const seq = 'M'.repeat(i + 1);
      await c.query(`INSERT INTO sequence (id, sequence, sequence_hash, length) VALUES ($1, $2, $3, $4)`, [i + 1, seq, world.seqs[i]?.md5 ?? md5('novector'), seq.length]);
    }
    for (const s of world.seqs) {
      for (const [ci, chunk] of s.chunks.entries()) {
        await c.query(`INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim, chunk_index_s, chunk_index_e) VALUES ($1, $2, $3, $4, $5, $6)`, [
          s.id, config, Buffer.from(Float32Array.from(chunk).buffer), DIM, ci * 100, s.chunks.length > 1 ? ci * 100 + 100 : null,
        ]);
      }
      // the other config's vectors must never leak in: a different dimension would fail the build
      await c.query(`INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim) VALUES ($1, $2, $3, 3)`, [s.id, other, Buffer.from(Float32Array.from([1, 2, 3]).buffer)]);
    }
    for (const p of world.proteins) {
      await c.query(`INSERT INTO protein (accession, canonical_accession, sequence_id) VALUES ($1, $1, $2)`, [p.accession, p.seq]);
    }
    for (const a of world.annotations) {
      await c.query(`INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, qualifier, evidence_code, aspect) VALUES ($1, $2, $3, $4, $5, $6)`, [
        set, a.accession, termIds.get(a.go), a.qualifier, a.evidence, a.aspectColumn ? a.aspect : null,
      ]);
    }
    return { set, config, termIds };
  } finally {
    c.release();
    await pool.end();
  }
}

t.test('reference index: neighbours equal brute force; cache reused, rebuilt on change', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  const world = makeWorld();
  const { set, config, termIds } = await seed(url, world);
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'protea-index-'));
  t.teardown(() => rm(cacheDir, { recursive: true, force: true }));
  const pool = createCopyPool(url, 2);
  t.teardown(() => pool.end());
  const searcher = new SearchPool({ batchSize: 7 });
  t.teardown(() => searcher.close());

  const rnd = mulberry32(7);
  const randomQueries = Array.from({ length: 5 }, () => Array.from({ length: DIM }, () => rnd() * 2 - 1));
  const seqQueries = world.seqs.map((s) => ({ md5: s.md5, v: mean(s.chunks.map(f32)) }));

  t.test('queryVectors averages the chunks of each sequence and skips unknown MD5s', async (t) => {
    const two = world.seqs.find((s) => s.chunks.length > 1)!;
    const got = await queryVectors(pool, config, [two.md5, world.seqs[0]!.md5, md5('nothing')]);
    t.equal(got.size, 2);
    const want = mean(two.chunks.map(f32));
    t.ok(Array.from(got.get(two.md5)!).every((x, j) => Math.abs(x - want[j]!) < 1e-6), 'chunk mean');
  });

  for (const metric of ['cosine', 'euclidean'] as const) {
    for (const aspect of [null, 'F', 'P', 'C'] as const) {
      t.test(`${metric}, aspect ${aspect ?? 'any'}`, async (t) => {
        const index = await ReferenceIndex.open(pool, { embeddingConfigId: config, annotationSetId: set, evidenceCodes: EVIDENCE, aspect, metric }, { cacheDir });
        t.equal(index.dim, DIM);
        const expectedRefs = bruteForce(world, randomQueries[0]!, metric, aspect, null, null, null);
        t.equal(index.proteins, expectedRefs.length, 'reference proteins: positive, wanted evidence, in the aspect, with a vector');
        t.equal(index.size, new Set(expectedRefs.map((r) => r.md5)).size, 'entries: their distinct sequences');
        t.notOk(index.annotationsOf('R0001').length, 'a protein whose sequence has no vector is no reference');
        for (const acc of expectedRefs.map((r) => r.accession)) {
          const anns = index.annotationsOf(acc);
          t.ok(anns.length > 0 && anns.every((a) => EVIDENCE.includes(a.evidenceCode!) && !a.qualifier?.startsWith('NOT') && (aspect === null || a.aspect === aspect)), `${acc}: only positive, wanted evidence, in the aspect`);
        }

        const check = async (label: string, qs: { v: number[]; self: string | null }[], k: number | null, threshold: number | null) => {
          const got = await searcher.search(index, qs.map((q) => Float32Array.from(q.v)), { k, threshold, excludeMd5: qs.map((q) => q.self) });
          let bad = 0;
          qs.forEach((q, i) => {
            const want = bruteForce(world, Array.from(Float32Array.from(q.v)), metric, aspect, k, threshold, q.self);
            const g = got[i]!;
            const same = g.length === want.length && g.every((n, j) => n.accession === want[j]!.accession && n.md5 === want[j]!.md5 && Math.abs(n.distance - want[j]!.distance) <= 1e-5);
            if (!same && bad++ < 2) t.fail(`${label} query ${i}: ${JSON.stringify(g.map((n: Neighbour) => [n.accession, n.distance.toFixed(6)]))} vs ${JSON.stringify(want.map((n) => [n.accession, n.distance.toFixed(6)]))}`);
          });
          t.equal(bad, 0, `${label}: every query's neighbours and distances equal brute force`);
          return got;
        };
        await check('k=1 random', randomQueries.map((v) => ({ v, self: null })), 1, null);
        const k3 = await check('k=3 exclude-self', seqQueries.map((q) => ({ v: q.v, self: q.md5 })), 3, null);
        await check('k=5 self included', seqQueries.map((q) => ({ v: q.v, self: null })), 5, null);
        await check('threshold', seqQueries.slice(0, 20).map((q) => ({ v: q.v, self: q.md5 })), null, metric === 'cosine' ? 0.6 : 1.2);
        await check('k=2 and threshold', randomQueries.map((v) => ({ v, self: null })), 2, metric === 'cosine' ? 0.5 : 1.5);
        t.ok(k3.every((ns, i) => ns.every((n) => n.md5 !== seqQueries[i]!.md5)), 'exclude-self drops the query sequence');
        // the data puts shared sequences and copied vectors among the references of any aspect
        if (aspect === null) t.ok(k3.some((ns) => ns.length > 3), 'some query has ties or shared sequences beyond k');
        // kPosition: competition rank
        for (const ns of k3) ns.forEach((n, j) => t.equal(n.kPosition, j === 0 || n.distance - ns[j - 1]!.distance > TIE_TOLERANCE ? j + 1 : ns[j - 1]!.kPosition));
      });
    }
  }

  t.test('cache: the same inputs reuse the files; a new annotation or vector rebuilds', async (t) => {
    const spec = { embeddingConfigId: config, annotationSetId: set, evidenceCodes: EVIDENCE, aspect: 'F' as const, metric: 'cosine' as const };
    const first = await ReferenceIndex.open(pool, spec, { cacheDir });
    t.notOk(first.built, 'built by the test above: read from the cache');
    const again = await ReferenceIndex.open(pool, { ...spec, evidenceCodes: [...EVIDENCE].reverse() }, { cacheDir });
    t.equal(again.key, first.key, 'evidence codes are a set');
    t.notOk(again.built);
    const hnsw = await ReferenceIndex.open(pool, { ...spec, kind: 'hnsw' }, { cacheDir });
    t.ok(hnsw.built, 'another index kind is another index');
    t.not(hnsw.key, first.key);

    const c = await pool.connect();
    try {
      await c.query(`INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, qualifier, evidence_code) VALUES ($1, 'R0002', $2, 'enables', 'IDA')`, [set, termIds.get('GO:0000001') ?? [...termIds.values()][0]]);
    } finally {
      c.release();
    }
    const changed = await ReferenceIndex.open(pool, spec, { cacheDir });
    t.ok(changed.built, 'a new annotation row changes the fingerprint: rebuilt');
    t.not(changed.key, first.key);
    const reread = await ReferenceIndex.open(pool, spec, { cacheDir });
    t.notOk(reread.built);
    t.equal(reread.key, changed.key);

    const c2 = await pool.connect();
    try {
      await c2.query(`INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim) VALUES (61, $1, $2, $3)`, [config, Buffer.from(new Float32Array(DIM).fill(0.5).buffer), DIM]);
    } finally {
      c2.release();
    }
    const withVector = await ReferenceIndex.open(pool, spec, { cacheDir });
    t.ok(withVector.built, 'a new vector rebuilds');
    const files = (await readdir(cacheDir)).filter((f) => !f.includes('.tmp-'));
    t.ok(files.includes(`${withVector.key}.faiss`) && files.includes(`${withVector.key}.json`), 'index and metadata files under the cache dir');
  });
});
