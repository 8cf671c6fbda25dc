// The PredictionRecord messages of one query: its terms, split into parts
// below the broker's message size limit (one key, so the parts stay in order).
import type { PredictedTerm, PredictionRecord } from '../../schemas/generated/types.js';
import { KEYS } from '../../topics/catalogue.js';
import type { ProcessorOutput } from '../runner.js';
import type { QueryOutcome } from './method.js';
import type { TransferredTerm } from './transfer.js';

/** Terms per message: ~100 bytes each encoded, so a part stays far below Kafka's 1 MB default. */
export const TERMS_PER_PART = 5000;

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
  const parts = Math.max(1, Math.ceil(terms.length / termsPerPart));
  const out: ProcessorOutput[] = [];
  for (let i = 0; i < parts; i++) {
    const value: PredictionRecord = {
      prediction_set_id: req.predictionSetId,
      job_id: req.jobId,
      query_accession: req.accession,
      query_md5: req.md5,
      reason: outcome.kind === 'unpredictable' ? outcome.reason : null,
      neighbours: outcome.kind === 'predicted' ? outcome.neighbours : 0,
      part_index: i,
      part_count: parts,
      terms: terms.slice(i * termsPerPart, (i + 1) * termsPerPart),
    };
    out.push({ topic, key: KEYS.prediction(value), value });
  }
  return out;
}
