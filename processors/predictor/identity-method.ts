// The identity method (the CAFA "BLAST" baseline's idea, for users without a
// model too): each query's best Smith-Waterman hit by score among the
// reference proteins (per GO aspect when aspect-separated: among those
// annotated in that aspect), ties broken by higher identity; the hit's terms
// are transferred with score = identity (matches / alignment length) and
// distance = 1 - identity. Reference proteins that share the hit's sequence
// are equally good hits: each passes on its terms. With --max-identity the
// best hit is taken among the references whose identityOverShorter to the
// query is at most the limit (processors/alignment/best-hits.ts).
//
// The references (distinct sequences) are loaded into the alignment workers
// once per prediction set; a query whose sequence has not landed is pending.
import type { DatabasePool } from '../../lib/db.js';
import { referenceAnnotations, referenceSequences } from '../../lib/queries/reference-sequences.js';
import { sequencesByMd5 } from '../../lib/queries/sequences.js';
import type { AlignmentPool, RefHandle } from '../alignment/index.js';
import type { PredictionMethod, QueryInput, QueryOutcome } from './method.js';
import type { PredictionParams } from './params.js';
import type { RefAnnotation, TransferredTerm } from './transfer.js';

const ASPECTS = ['F', 'P', 'C'] as const;

interface References {
  handle: RefHandle;
  /** per distinct reference sequence: its proteins */
  accessions: string[][];
  /** per distinct reference sequence: bit g set when one of its proteins is annotated in group g */
  groups: Uint8Array;
  annotations: Map<string, readonly RefAnnotation[]>;
}

export class IdentityMethod implements PredictionMethod {
  private refs?: Promise<References>;

  constructor(
    private readonly db: DatabasePool,
    private readonly align: AlignmentPool,
    private readonly params: PredictionParams,
  ) {}

  private groupsOf(aspects: string): number {
    if (!this.params.aspectSeparated) return 1;
    return ASPECTS.reduce((bits, a, g) => (aspects.includes(a) ? bits | (1 << g) : bits), 0);
  }

  private load(): Promise<References> {
    this.refs ??= (async () => {
      const p = this.params;
      const rows = await referenceSequences(this.db, p.annotationSetId, p.evidenceCodes);
      const bySequence = new Map<string, number>();
      const sequences: string[] = [];
      const accessions: string[][] = [];
      const groups: number[] = [];
      for (const r of rows) {
        let at = bySequence.get(r.md5);
        if (at === undefined) {
          at = sequences.length;
          bySequence.set(r.md5, at);
          sequences.push(r.sequence);
          accessions.push([]);
          groups.push(0);
        }
        accessions[at]!.push(r.accession);
        groups[at]! |= this.groupsOf(r.aspects);
      }
      const annotations = await referenceAnnotations(this.db, p.annotationSetId, p.evidenceCodes);
      const handle = await this.align.loadReferences(sequences);
      return { handle, accessions, groups: Uint8Array.from(groups), annotations };
    })();
    this.refs.catch(() => (this.refs = undefined));
    return this.refs;
  }

  async predict(queries: readonly QueryInput[]): Promise<QueryOutcome[]> {
    const p = this.params;
    const seqs = await sequencesByMd5(this.db, queries.map((q) => q.md5));
    const out: QueryOutcome[] = queries.map((q) => ({ kind: 'pending', waitingFor: `stored sequence ${q.md5}` }));
    const ready = queries.map((q, i) => ({ i, seq: seqs.get(q.md5) })).filter((r) => r.seq !== undefined);
    if (ready.length === 0) return out;
    const refs = await this.load();
    const nGroups = p.aspectSeparated ? 3 : 1;
    const hits = await this.align.bestHits(ready.map((r) => r.seq!), refs.handle, { groups: refs.groups, nGroups, excludeIdentical: p.excludeSelf, maxIdentity: p.maxIdentity });
    ready.forEach((r, j) => {
      const terms: TransferredTerm[] = [];
      let neighbours = 0;
      const byAspect: Record<string, number> = {};
      hits[j]!.forEach((hit, g) => {
        if (!hit) return;
        const aspect = p.aspectSeparated ? ASPECTS[g]! : null;
        const before = neighbours;
        for (const acc of refs.accessions[hit.refIndex]!) {
          const seen = new Set<string>();
          let any = false;
          for (const a of refs.annotations.get(acc) ?? []) {
            if ((aspect && a.aspect !== aspect) || seen.has(a.goId)) continue;
            seen.add(a.goId);
            any = true;
            terms.push({ goId: a.goId, aspect: a.aspect, refAccession: acc, distance: 1 - hit.identity, score: hit.identity, qualifier: a.qualifier, evidenceCode: a.evidenceCode, kPosition: 1, support: 1 });
          }
          if (any) neighbours += 1;
        }
        byAspect[aspect ?? 'all'] = neighbours - before;
      });
      terms.sort((a, b) => (a.goId < b.goId ? -1 : a.goId > b.goId ? 1 : a.refAccession < b.refAccession ? -1 : 1));
      out[r.i] = { kind: 'predicted', terms, neighbours, neighboursByAspect: byAspect };
    });
    return out;
  }

  async close(): Promise<void> {
    const refs = await this.refs?.catch(() => undefined);
    if (refs) await this.align.releaseReferences?.(refs.handle);
    this.refs = undefined;
  }
}
