// One query's row of a faiss search (entries by ascending distance) read into
// protein neighbours, with entries that may be refused (--max-identity). Pure:
// search-pool.ts runs it, asks for a verdict on the entries it reports
// undecided, and runs it again on the same row.
//
// An undecided entry is counted as if admitted, so a scan asks only for the
// verdicts that could change the selection: it stops once the entries already
// admitted (or, optimistically, admitted or undecided) fill k places and the
// next entry is beyond the k-th distance (ties kept), or the threshold is
// passed. `minUndecided` makes it collect at least that many undecided entries
// before the optimistic stop, so a query whose references are refused one
// after another asks for geometrically growing batches instead of k at a time.
import { TIE_TOLERANCE, type Neighbour } from './transfer.js';

export interface ScanInput {
  /** entry labels of the row, -1 where an ANN index found none */
  labels: ArrayLike<number>;
  distances: ArrayLike<number>;
  /** the row: labels[offset .. offset + count) */
  offset: number;
  count: number;
  /** true when the search asked for every entry of the index */
  whole: boolean;
  k: number | null;
  threshold: number | null;
  /** an entry never to select (the query's own sequence), or -1 */
  exclude: number;
  /** true: may be a neighbour; false: refused; undefined: not decided yet */
  admitted: (entry: number) => boolean | undefined;
  /** undecided entries to collect, at least, before stopping on the optimistic count */
  minUndecided: number;
  accessionsOf: (entry: number) => readonly string[];
  md5Of: (entry: number) => string;
}

export interface ScanResult {
  /** entries whose verdict is needed; when non-empty, hits and complete are provisional */
  undecided: number[];
  /** the admitted entries' proteins up to where the scan stopped, by distance then accession (kPosition unset) */
  hits: Neighbour[];
  /** no entry beyond the row could still be selected */
  complete: boolean;
}

export function scanEntries(s: ScanInput): ScanResult {
  const undecided: number[] = [];
  const hits: Neighbour[] = [];
  let known = 0; // admitted proteins
  let optimistic = 0; // admitted or undecided proteins
  let dKnown: number | null = null; // distance of the k-th admitted protein
  let dOptimistic: number | null = null;
  let complete = s.whole;
  for (let j = 0; j < s.count; j++) {
    const label = s.labels[s.offset + j]!;
    if (label < 0) {
      complete = true; // an ANN index found no more
      break;
    }
    const d = s.distances[s.offset + j]!;
    if (s.threshold !== null && d > s.threshold) {
      complete = true;
      break;
    }
    if (dKnown !== null && d - dKnown > TIE_TOLERANCE) {
      complete = true;
      break;
    }
    if (dOptimistic !== null && d - dOptimistic > TIE_TOLERANCE && undecided.length >= s.minUndecided) {
      complete = true; // provisional while undecided is non-empty
      break;
    }
    if (label === s.exclude) continue;
    const verdict = s.admitted(label);
    if (verdict === false) continue;
    const accessions = s.accessionsOf(label);
    optimistic += accessions.length;
    if (s.k !== null && dOptimistic === null && optimistic >= s.k) dOptimistic = d;
    if (verdict === undefined) {
      undecided.push(label);
      continue;
    }
    const md5 = s.md5Of(label);
    for (const accession of accessions) hits.push({ accession, md5, distance: d, kPosition: 0 });
    known += accessions.length;
    if (s.k !== null && dKnown === null && known >= s.k) dKnown = d;
  }
  // faiss orders by distance; equal distances (other sequences) by accession
  hits.sort((a, b) => a.distance - b.distance || (a.accession < b.accession ? -1 : a.accession > b.accession ? 1 : 0));
  return { undecided, hits, complete };
}
