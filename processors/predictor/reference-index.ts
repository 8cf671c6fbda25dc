// A faiss index of the reference sequences of (embedding config, annotation
// set, evidence codes, aspect), persisted under a cache directory and keyed by
// a hash of its inputs: the spec, the metric and index kind, and the content
// fingerprint of the database rows it came from. Opening it again with the
// same inputs reads the files; any change to them (a new annotation, a new
// vector, a protein linked) gives a new key and a rebuild. Files are written
// under a temporary name and renamed, the metadata last, so a reader never sees
// a half-written index (two builders of one key write the same content; the
// last rename wins).
//
// Entries are distinct sequences (MD5) in MD5 order; label i of the faiss index
// is entry i. The build runs in a worker thread (build-worker.ts) fed by the
// COPY stream of lib/queries/reference-embeddings.ts.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PgPool } from '../../lib/copy.js';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import { logger } from '../../lib/log.js';
import { readReferenceFingerprint, readReferences, type Aspect, type ReferenceFingerprint, type ReferenceSpec } from '../../lib/queries/reference-embeddings.js';
import { INDEX_KINDS, type IndexKind } from './faiss-params.js';
import { faissThread } from './faiss-thread.js';
import { METRICS, type Metric, type RefAnnotation } from './transfer.js';

export type { IndexKind } from './faiss-params.js';

export interface ReferenceIndexSpec extends ReferenceSpec {
  metric: Metric;
  /** default 'flat' (exact) */
  kind?: IndexKind;
}

export interface OpenOptions {
  /** default config().indexDir */
  cacheDir?: string;
  /** HNSW build-time candidate list (faiss default 40); part of the key */
  efConstruction?: number;
}

/** Bumped when the file layout or the build changes: old files are then never read. */
const FORMAT = 1;

interface Meta {
  format: number;
  key: string;
  spec: Required<ReferenceIndexSpec>;
  fingerprint: ReferenceFingerprint;
  efConstruction: number | null;
  dim: number;
  md5s: string[];
  accessions: string[][];
  /** [accession, [goId, aspect, qualifier, evidenceCode][]] */
  annotations: [string, [string, Aspect, string | null, string | null][]][];
  builtAt: string;
}

/** The cache key: a hash of everything the index content depends on. */
export function indexKey(spec: Required<ReferenceIndexSpec>, fingerprint: ReferenceFingerprint, efConstruction: number | null): string {
  const canonical = JSON.stringify({
    format: FORMAT,
    embeddingConfigId: spec.embeddingConfigId.toLowerCase(),
    annotationSetId: spec.annotationSetId.toLowerCase(),
    evidenceCodes: [...new Set(spec.evidenceCodes)].sort(),
    aspect: spec.aspect,
    metric: spec.metric,
    kind: spec.kind,
    efConstruction: spec.kind === 'hnsw' ? efConstruction : null,
    fingerprint,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

function normaliseSpec(spec: ReferenceIndexSpec): Required<ReferenceIndexSpec> {
  const kind = spec.kind ?? 'flat';
  if (!INDEX_KINDS.includes(kind)) throw new ProteaError('USAGE', `index kind must be one of ${INDEX_KINDS.join(', ')}, got ${JSON.stringify(kind)}`, { field: 'index' });
  if (!METRICS.includes(spec.metric)) throw new ProteaError('USAGE', `metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(spec.metric)}`, { field: 'metric' });
  return { ...spec, kind, evidenceCodes: [...spec.evidenceCodes] };
}

let nextBuild = 1;
const EMPTY: readonly RefAnnotation[] = Object.freeze([]);

export class ReferenceIndex {
  /** entry -> index of the MD5 */
  private readonly entryByMd5: Map<string, number>;

  private constructor(
    readonly key: string,
    readonly spec: Required<ReferenceIndexSpec>,
    /** the faiss index file (what search workers read) */
    readonly file: string,
    readonly dim: number,
    /** entry -> sequence MD5 */
    readonly md5s: readonly string[],
    private readonly accessions: readonly (readonly string[])[],
    private readonly annotations: ReadonlyMap<string, readonly RefAnnotation[]>,
    readonly fingerprint: ReferenceFingerprint,
    /** true when this open built the files (false: read from the cache) */
    readonly built: boolean,
  ) {
    this.entryByMd5 = new Map(md5s.map((m, i) => [m, i]));
  }

  get metric(): Metric {
    return this.spec.metric;
  }
  get kind(): IndexKind {
    return this.spec.kind;
  }
  /** entries: distinct reference sequences */
  get size(): number {
    return this.md5s.length;
  }
  /** reference proteins */
  get proteins(): number {
    return this.annotations.size;
  }
  /** the reference accessions of an entry, sorted */
  accessionsOf(entry: number): readonly string[] {
    return this.accessions[entry] ?? [];
  }
  /** the entry of a sequence, if it is a reference */
  entryOf(md5: string): number | undefined {
    return this.entryByMd5.get(md5);
  }
  /** the annotations a reference protein transfers (see lib/queries/reference-embeddings.ts for the filter and order) */
  annotationsOf(accession: string): readonly RefAnnotation[] {
    return this.annotations.get(accession) ?? EMPTY;
  }

  /**
   * Opens the index of `spec`: from the cache when its inputs are unchanged,
   * else built from PostgreSQL (pool: the copy pool, lib/db.ts createCopyPool)
   * and cached.
   */
  static async open(pool: PgPool, specIn: ReferenceIndexSpec, options: OpenOptions = {}): Promise<ReferenceIndex> {
    const spec = normaliseSpec(specIn);
    const cacheDir = path.resolve(options.cacheDir ?? config().indexDir);
    const efConstruction = spec.kind === 'hnsw' ? (options.efConstruction ?? null) : null;
    const fp = await readReferenceFingerprint(pool, spec);
    const key = indexKey(spec, fp, efConstruction);
    const cached = await ReferenceIndex.readCached(cacheDir, key);
    if (cached) return cached;
    return ReferenceIndex.build(pool, spec, cacheDir, efConstruction);
  }

  private static files(cacheDir: string, key: string) {
    return { index: path.join(cacheDir, `${key}.faiss`), meta: path.join(cacheDir, `${key}.json`) };
  }

  private static async readCached(cacheDir: string, key: string): Promise<ReferenceIndex | null> {
    const f = ReferenceIndex.files(cacheDir, key);
    if (!existsSync(f.meta) || !existsSync(f.index)) return null;
    let meta: Meta;
    try {
      meta = JSON.parse(await readFile(f.meta, 'utf8')) as Meta;
    } catch {
      return null; // unreadable: rebuilt and replaced
    }
    if (meta.format !== FORMAT || meta.key !== key) return null;
    return ReferenceIndex.fromMeta(meta, f.index, false);
  }

  private static fromMeta(meta: Meta, file: string, built: boolean): ReferenceIndex {
    const annotations = new Map<string, RefAnnotation[]>(
      meta.annotations.map(([acc, list]) => [acc, list.map(([goId, aspect, qualifier, evidenceCode]) => ({ goId, aspect, qualifier, evidenceCode }))]),
    );
    return new ReferenceIndex(meta.key, meta.spec, file, meta.dim, meta.md5s, meta.accessions, annotations, meta.fingerprint, built);
  }

  private static async build(pool: PgPool, spec: Required<ReferenceIndexSpec>, cacheDir: string, efConstruction: number | null): Promise<ReferenceIndex> {
    const log = logger('predictor');
    const started = Date.now();
    await mkdir(cacheDir, { recursive: true });
    const thread = faissThread();
    const build = nextBuild++;
    {
      let entries = 0;
      let dimension = 0;
      // a failed read gives the build up in the thread too (a flat build's partial file is removed)
      const abort = (err: unknown) => thread.request({ op: 'build-abort', build }).then(() => Promise.reject(err), () => Promise.reject(err));
      const data = await readReferences(pool, spec, {
        onStart: async (n, dim) => {
          entries = n;
          dimension = dim;
          // an empty reference set still gets a (flat, empty) index file: searches answer nothing
          await thread.request({ op: 'build-init', build, dir: cacheDir, dim: Math.max(dim, 1), metric: spec.metric, kind: n === 0 ? 'flat' : spec.kind, entries: n, ...(efConstruction !== null ? { efConstruction } : {}) });
        },
        onVectors: async (batch, count) => {
          // a copy, transferred to the worker: the reader reuses its batch buffer
          const vectors = batch.slice(0, count * dimension);
          await thread.request({ op: 'build-add', build, vectors, count }, [vectors.buffer as ArrayBuffer]);
        },
      }).catch(abort);
      // the key is of the fingerprint read inside the build's snapshot: what the files really hold
      const key = indexKey(spec, data.fingerprint, efConstruction);
      const f = ReferenceIndex.files(cacheDir, key);
      const tmp = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      await thread.request({ op: 'build-finish', build, file: f.index + tmp });
      const meta: Meta = {
        format: FORMAT,
        key,
        spec,
        fingerprint: data.fingerprint,
        efConstruction,
        dim: data.dim,
        md5s: data.md5s,
        accessions: data.accessions,
        annotations: [...data.annotations].map(([acc, list]) => [acc, list.map((a) => [a.goId, a.aspect, a.qualifier, a.evidenceCode])]),
        builtAt: new Date().toISOString(),
      };
      await writeFile(f.meta + tmp, JSON.stringify(meta));
      await rename(f.index + tmp, f.index);
      await rename(f.meta + tmp, f.meta);
      log.info({ key, entries, proteins: data.annotations.size, dim: data.dim, kind: spec.kind, metric: spec.metric, aspect: spec.aspect, ms: Date.now() - started }, 'reference index built');
      return ReferenceIndex.fromMeta(meta, f.index, true);
    }
  }

  /**
   * An index of given vectors (no database): entry i is sequence `md5s[i]`
   * (default: synthetic ids) with one accession of the same name and no
   * annotations. For benchmarks and tests of the search alone; not cached by
   * content (the key is random).
   */
  static async fromVectors(opts: { batches: Iterable<Float32Array>; entries: number; dim: number; metric: Metric; kind?: IndexKind; cacheDir: string; efConstruction?: number }): Promise<ReferenceIndex> {
    const kind = opts.kind ?? 'flat';
    await mkdir(opts.cacheDir, { recursive: true });
    const thread = faissThread();
    const build = nextBuild++;
    await thread.request({ op: 'build-init', build, dir: opts.cacheDir, dim: opts.dim, metric: opts.metric, kind, entries: opts.entries, ...(opts.efConstruction !== undefined ? { efConstruction: opts.efConstruction } : {}) });
    for (const b of opts.batches) {
      const vectors = b.slice();
      await thread.request({ op: 'build-add', build, vectors, count: vectors.length / opts.dim }, [vectors.buffer as ArrayBuffer]);
    }
    const key = randomBytes(16).toString('hex');
    const file = path.join(opts.cacheDir, `${key}.faiss`);
    await thread.request({ op: 'build-finish', build, file });
    const md5s = Array.from({ length: opts.entries }, (_, i) => `e${i}`);
    const spec: Required<ReferenceIndexSpec> = { embeddingConfigId: '', annotationSetId: '', evidenceCodes: [], aspect: null, metric: opts.metric, kind };
    const empty: ReferenceFingerprint = { annotations: { rows: 0, maxId: null, hash: null }, embeddings: { rows: 0, maxId: null }, proteins: { rows: 0, lastUpdate: null } };
    return new ReferenceIndex(key, spec, file, opts.dim, md5s, md5s.map((m) => [m]), new Map(), empty, true);
  }

  /** Removes the cached files of this index (tests, and a user clearing space). */
  async remove(): Promise<void> {
    await rm(this.file, { force: true });
    await rm(this.file.replace(/\.faiss$/, '.json'), { force: true });
  }
}
