// KNN over embeddings: each query's k nearest reference proteins (per GO
// aspect when aspect-separated) pass on their GO terms (processors/predictor/
// transfer.ts says how they are scored).
//
// A prediction set's reference indexes are opened once per process and kept
// for the set's lifetime, so every query of a set sees the same references
// (reference-index.ts persists them on disk, keyed by their inputs). A query
// whose embedding has not landed is pending; the stage waits for it.
//
// With --max-identity (leakage control), a reference sequence whose Smith-
// Waterman alignment to the query has more than maxIdentity of the shorter
// sequence identical (identityOverShorter) is refused before neighbour
// selection: the search goes deeper for the k nearest admitted ones
// (search-pool.ts). Alignments run on the alignment pool's worker threads, one
// per (query sequence, reference sequence) pair per batch, shared by the
// aspects' indexes and by the accessions of a sequence. A reference sequence
// that is not stored cannot be shown to be under the limit: it is refused.
import type { PgPool } from '../../lib/copy.js';
import type { DatabasePool } from '../../lib/db.js';
import { logger } from '../../lib/log.js';
import { queryVectors, type Aspect } from '../../lib/queries/reference-embeddings.js';
import { sequencesByMd5 } from '../../lib/queries/sequences.js';
import { identityOverShorter, type AlignmentPool } from '../alignment/index.js';
import type { PredictionMethod, QueryInput, QueryOutcome } from './method.js';
import type { PredictionParams } from './params.js';
import { ReferenceIndex } from './reference-index.js';
import { MAX_FILTERED_DEPTH, type SearchOptions, type SearchPool } from './search-pool.js';
import { transferTerms, type TransferredTerm } from './transfer.js';

const ASPECTS: readonly Aspect[] = ['F', 'P', 'C'];
/** Reference sequences kept between batches for --max-identity (~50 MB of residues at 500 a sequence). */
const REF_SEQ_CACHE = 100_000;

export class KnnMethod implements PredictionMethod {
  private readonly indexes = new Map<string, Promise<ReferenceIndex>>();
  /** --max-identity: reference sequences by MD5, read once for the set's lifetime (its references are fixed) */
  private readonly refSeqs = new Map<string, string | null>();

  constructor(
    private readonly copyPool: PgPool,
    private readonly pool: SearchPool,
    private readonly params: PredictionParams,
    private readonly cacheDir?: string,
    /** what --max-identity needs: the sequences, and the workers that align them */
    private readonly leakage?: { db: DatabasePool; align: AlignmentPool },
  ) {}

  private index(aspect: Aspect | null): Promise<ReferenceIndex> {
    const key = aspect ?? 'all';
    let open = this.indexes.get(key);
    if (!open) {
      const p = this.params;
      open = ReferenceIndex.open(this.copyPool, {
        embeddingConfigId: p.embeddingConfigId!,
        annotationSetId: p.annotationSetId,
        evidenceCodes: [...p.evidenceCodes],
        aspect,
        metric: p.metric,
        kind: p.index,
      }, this.cacheDir === undefined ? {} : { cacheDir: this.cacheDir });
      open.catch(() => this.indexes.delete(key)); // a failed build is retried by the next batch
      this.indexes.set(key, open);
    }
    return open;
  }

  async predict(queries: readonly QueryInput[]): Promise<QueryOutcome[]> {
    const p = this.params;
    const vectors = await queryVectors(this.copyPool, p.embeddingConfigId!, [...new Set(queries.map((q) => q.md5))]);
    let ready = queries.map((q, i) => ({ q, i, v: vectors.get(q.md5) })).filter((r) => r.v !== undefined);
    const terms: TransferredTerm[][] = queries.map(() => []);
    const neighbours = queries.map(() => 0);
    const byAspect: Record<string, number>[] = queries.map(() => ({}));
    const out: QueryOutcome[] = queries.map((q) => ({ kind: 'pending', waitingFor: `embedding under config ${p.embeddingConfigId} for sequence ${q.md5}` }));
    let filter: IdentityFilter | undefined;
    if (p.maxIdentity !== null && ready.length > 0) {
      if (!this.leakage) throw new Error('KNN with --max-identity needs the database and an alignment pool');
      const seqs = await sequencesByMd5(this.leakage.db, ready.map((r) => r.q.md5));
      for (const r of ready) if (!seqs.has(r.q.md5)) out[r.i] = { kind: 'pending', waitingFor: `stored sequence ${r.q.md5} (--max-identity aligns it)` };
      ready = ready.filter((r) => seqs.has(r.q.md5));
      if (this.refSeqs.size > REF_SEQ_CACHE) this.refSeqs.clear();
      filter = new IdentityFilter(this.leakage.db, this.leakage.align, p.maxIdentity, seqs, this.refSeqs);
    }
    if (ready.length === 0) return out;
    let capped = 0;
    for (const aspect of p.aspectSeparated ? ASPECTS : [null]) {
      const index = await this.index(aspect);
      if (index.size === 0) continue;
      const leak: Partial<SearchOptions> = filter
        ? {
            admit: (pairs) => filter.admit(pairs.map((a) => ({ query: ready[a.query]!.q.md5, ref: index.md5s[a.entry]! }))),
            onDepthCap: () => capped++,
          }
        : {};
      const found = await this.pool.search(index, ready.map((r) => r.v!), {
        k: p.k,
        threshold: p.threshold,
        ...(p.excludeSelf ? { excludeMd5: ready.map((r) => r.q.md5) } : {}),
        ...leak,
      });
      found.forEach((hits, j) => {
        const at = ready[j]!.i;
        neighbours[at]! += hits.length;
        byAspect[at]![aspect ?? 'all'] = hits.length;
        terms[at]!.push(...transferTerms(hits, (acc) => index.annotationsOf(acc), { aggregation: p.aggregation, scoreMap: p.scoreMap }));
      });
    }
    if (filter) {
      const log = logger('predictor');
      const stats = { queries: ready.length, alignments: filter.aligned, refused: filter.refused, unstoredReferences: filter.unstored, depthCapped: capped, maxDepth: MAX_FILTERED_DEPTH };
      if (capped > 0) log.warn(stats, `--max-identity: ${capped} (query, aspect) searches reached the depth cap with fewer than k admitted references; they keep those found`);
      else log.debug(stats, '--max-identity filter');
    }
    for (const r of ready) {
      const t = terms[r.i]!.sort((a, b) => a.distance - b.distance || (a.goId < b.goId ? -1 : a.goId > b.goId ? 1 : 0) || (a.refAccession < b.refAccession ? -1 : 1));
      out[r.i] = { kind: 'predicted', terms: t, neighbours: neighbours[r.i]!, neighboursByAspect: byAspect[r.i]! };
    }
    return out;
  }

  async close(): Promise<void> {
    this.indexes.clear();
    this.refSeqs.clear();
  }
}

/**
 * The --max-identity verdicts of one batch: identityOverShorter of each
 * (query sequence, reference sequence) pair, aligned (Smith-Waterman) once on
 * the pool's workers and kept for the batch; reference sequences are read into
 * the caller's map, which outlives the batch.
 */
export class IdentityFilter {
  private readonly identities = new Map<string, number>();
  aligned = 0;
  refused = 0;
  unstored = 0;

  constructor(
    private readonly db: DatabasePool,
    private readonly align: AlignmentPool,
    private readonly maxIdentity: number,
    /** the queries' sequences by MD5 */
    private readonly querySeqs: ReadonlyMap<string, string>,
    /** reference sequences by MD5 (null: not stored), filled as references are met */
    private readonly refSeqs: Map<string, string | null>,
  ) {}

  /** Per pair (MD5s): true when the reference may be a neighbour of the query. */
  async admit(pairs: readonly { query: string; ref: string }[]): Promise<boolean[]> {
    const missing = [...new Set(pairs.map((a) => a.ref).filter((m) => !this.refSeqs.has(m)))];
    if (missing.length > 0) {
      const got = await sequencesByMd5(this.db, missing);
      for (const m of missing) this.refSeqs.set(m, got.get(m) ?? null);
    }
    const todo = new Map<string, { query: string; ref: string }>();
    for (const a of pairs) {
      const key = `${a.query}|${a.ref}`;
      if (this.identities.has(key) || todo.has(key)) continue;
      const ref = this.refSeqs.get(a.ref);
      if (ref === null || ref === undefined) {
        this.identities.set(key, Number.POSITIVE_INFINITY); // not stored: cannot be shown to be under the limit
        this.unstored++;
      } else todo.set(key, { query: this.querySeqs.get(a.query)!, ref });
    }
    if (todo.size > 0) {
      const results = await this.align.alignPairs([...todo.values()], 'local');
      [...todo.keys()].forEach((key, i) => this.identities.set(key, identityOverShorter(results[i]!)));
      this.aligned += todo.size;
    }
    return pairs.map((a) => {
      const ok = admitted(this.identities.get(`${a.query}|${a.ref}`)!, this.maxIdentity);
      if (!ok) this.refused++;
      return ok;
    });
  }
}

/** The --max-identity rule: a reference is admitted when its identity to the query is at most the limit. */
export function admitted(identity: number, maxIdentity: number): boolean {
  return identity <= maxIdentity;
}
