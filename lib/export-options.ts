// The formats and defaults of `protea embeddings export` and `protea
// predictions export`. They live apart from the exporters (which pull in
// slonik and apache-arrow) because the CLI builds every command's options on
// each start; the exporters import them from here too.

/** embeddings export: one row per (protein, chunk) or per (sequence, chunk). */
export const ROWS_PER = ['protein', 'sequence'] as const;
export type RowsPer = (typeof ROWS_PER)[number];

/** embeddings export: rows per Arrow record batch. */
export const DEFAULT_BATCH_ROWS = 8192;

/** predictions export. */
export const EXPORT_FORMATS = ['cafa', 'tsv', 'arrow', 'gaf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface CafaHeader {
  author: string;
  model: number;
  keywords: string;
}

export const DEFAULT_CAFA_HEADER: Readonly<CafaHeader> = Object.freeze({ author: 'PROTEA', model: 1, keywords: 'machine learning, homolog.' });

/**
 * The DB:Reference column's default. No GO_REF describes embedding-based
 * transfer; GO_REF:0000104 ("Electronic Gene Ontology annotations created by
 * transferring manual GO annotations between related proteins based on shared
 * sequence features") is the closest description of what the rows are. It is
 * registered for UniProt's method: a group submitting annotations gives its
 * own reference with --gaf-reference.
 */
export const DEFAULT_GAF_REFERENCE = 'GO_REF:0000104';
