// KNN over embeddings: each query's k nearest reference proteins (per GO
// aspect when aspect-separated) pass on their GO terms (processors/predictor/
// transfer.ts says how they are scored).
//
// A prediction set's reference indexes are opened once per process and kept
// for the set's lifetime, so every query of a set sees the same references
// (reference-index.ts persists them on disk, keyed by their inputs). A query
// whose embedding has not landed is pending; the stage waits for it.
import type { PgPool } from '../../lib/copy.js';
import { queryVectors, type Aspect } from '../../lib/queries/reference-embeddings.js';
import type { PredictionMethod, QueryInput, QueryOutcome } from './method.js';
import type { PredictionParams } from './params.js';
import { ReferenceIndex } from './reference-index.js';
import type { SearchPool } from './search-pool.js';
import { transferTerms, type TransferredTerm } from './transfer.js';

const ASPECTS: readonly Aspect[] = ['F', 'P', 'C'];

export class KnnMethod implements PredictionMethod {
  private readonly indexes = new Map<string, Promise<ReferenceIndex>>();

  constructor(
    private readonly copyPool: PgPool,
    private readonly pool: SearchPool,
    private readonly params: PredictionParams,
    private readonly cacheDir?: string,
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
    const ready = queries.map((q, i) => ({ q, i, v: vectors.get(q.md5) })).filter((r) => r.v !== undefined);
    const terms: TransferredTerm[][] = queries.map(() => []);
    const neighbours = queries.map(() => 0);
    const byAspect: Record<string, number>[] = queries.map(() => ({}));
    const out: QueryOutcome[] = queries.map((q) => ({ kind: 'pending', waitingFor: `embedding under config ${p.embeddingConfigId} for sequence ${q.md5}` }));
    if (ready.length === 0) return out;
    for (const aspect of p.aspectSeparated ? ASPECTS : [null]) {
      const index = await this.index(aspect);
      if (index.size === 0) continue;
      const found = await this.pool.search(index, ready.map((r) => r.v!), {
        k: p.k,
        threshold: p.threshold,
        ...(p.excludeSelf ? { excludeMd5: ready.map((r) => r.q.md5) } : {}),
      });
      found.forEach((hits, j) => {
        const at = ready[j]!.i;
        neighbours[at]! += hits.length;
        byAspect[at]![aspect ?? 'all'] = hits.length;
        terms[at]!.push(...transferTerms(hits, (acc) => index.annotationsOf(acc), { aggregation: p.aggregation, scoreMap: p.scoreMap }));
      });
    }
    for (const r of ready) {
      const t = terms[r.i]!.sort((a, b) => a.distance - b.distance || (a.goId < b.goId ? -1 : a.goId > b.goId ? 1 : 0) || (a.refAccession < b.refAccession ? -1 : 1));
      out[r.i] = { kind: 'predicted', terms: t, neighbours: neighbours[r.i]!, neighboursByAspect: byAspect[r.i]! };
    }
    return out;
  }

  async close(): Promise<void> {
    this.indexes.clear();
  }
}
