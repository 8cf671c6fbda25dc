// The PredictionRecord messages of one query: its terms, split into parts
// below the broker's message size limit (one key, so the parts stay in order).
import type { PredictedTerm, PredictionRecord } from '../../schemas/generated/types.js';
import { KEYS } from '../../topics/catalogue.js';
import type { ProcessorOutput } from '../runner.js';
import type { QueryOutcome } from './method.js';
import type { TransferredTerm } from './transfer.js';

/**
 * Terms per message: ~65 bytes each encoded raw, ~230 once the enricher has
 * added every feature family, so an enriched part (~450 KB) stays below
 * Kafka's 1 MB default (measured: 5,000 enriched terms encode to 1.13 MB, which
 * the broker refused). The topics also allow 16 MiB for a part that one GO
 * term's rows make larger (topics/catalogue.ts).
 */
export const TERMS_PER_PART = 2000;

export interface QueryRequest {
  predictionSetId: string;
  jobId: string;
  accession: string;
  md5: string;
}

function wireTerm(t: TransferredTerm): PredictedTerm {
  return {
    go_id: t.goId,
    ref_accession: t.refAccession,
    distance: t.distance,
    score: t.score,
    qualifier: t.qualifier,
    evidence_code: t.evidenceCode,
    aspect: t.aspect,
    k_position: t.kPosition,
    features: null,
  };
}

/** The messages of a predicted or unpredictable query (never of a pending one). */
export function predictionMessages(req: QueryRequest, outcome: Exclude<QueryOutcome, { kind: 'pending' }>, topic: string, termsPerPart = TERMS_PER_PART): ProcessorOutput[] {
  const terms = outcome.kind === 'predicted' ? outcome.terms.map(wireTerm) : [];
  const chunks = splitByTerm(terms, termsPerPart);
  const parts = chunks.length;
  const out: ProcessorOutput[] = [];
  for (let i = 0; i < parts; i++) {
    const value: PredictionRecord = {
      prediction_set_id: req.predictionSetId,
      job_id: req.jobId,
      query_accession: req.accession,
      query_md5: req.md5,
      reason: outcome.kind === 'unpredictable' ? outcome.reason : null,
      neighbours: outcome.kind === 'predicted' ? outcome.neighbours : 0,
      neighbours_by_aspect: outcome.kind === 'predicted' && outcome.neighboursByAspect ? { ...outcome.neighboursByAspect } : null,
      part_index: i,
      part_count: parts,
      terms: chunks[i]!,
    };
    out.push({ topic, key: KEYS.prediction(value), value });
  }
  return out;
}

/**
 * The terms in parts of about `perPart`: one part in the given order when they
 * fit; otherwise grouped by GO term (go_id, then distance, then reference) and
 * cut only between two terms, so every row of a term is in one part (the
 * enricher's neighbour statistics are over all of them). A part holds more than
 * `perPart` only when one term alone has more rows.
 */
export function splitByTerm(terms: readonly PredictedTerm[], perPart: number): PredictedTerm[][] {
  if (terms.length <= perPart) return [[...terms]];
  const sorted = [...terms].sort((a, b) => cmp(a.go_id, b.go_id) || a.distance - b.distance || cmp(a.ref_accession, b.ref_accession));
  const parts: PredictedTerm[][] = [];
  let current: PredictedTerm[] = [];
  for (let i = 0; i < sorted.length; ) {
    let end = i + 1;
    while (end < sorted.length && sorted[end]!.go_id === sorted[i]!.go_id) end++;
    if (current.length > 0 && current.length + (end - i) > perPart) {
      parts.push(current);
      current = [];
    }
    for (let j = i; j < end; j++) current.push(sorted[j]!);
    i = end;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
