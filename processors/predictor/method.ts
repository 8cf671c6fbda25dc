// What a prediction method (KNN over embeddings, best alignment hit) gives the
// predictor stage for each query it is handed.
import type { TransferredTerm } from './transfer.js';

export interface QueryInput {
  accession: string;
  md5: string;
}

export type QueryOutcome =
  /** terms may be empty: no neighbour within the threshold, or neighbours without terms */
  | { kind: 'predicted'; terms: TransferredTerm[]; neighbours: number; neighboursByAspect?: Readonly<Record<string, number>> }
  /** its input (embedding, sequence) has not landed yet: wait for it */
  | { kind: 'pending'; waitingFor: string }
  /** it can never be predicted as asked: report it, with the reason */
  | { kind: 'unpredictable'; reason: string };

export interface PredictionMethod {
  /** one outcome per query, in order */
  predict(queries: readonly QueryInput[], signal?: AbortSignal): Promise<QueryOutcome[]>;
  close(): Promise<void>;
}
