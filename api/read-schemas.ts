// JSON schemas of the read routes (prediction sets and predictions, proteins,
// embedding configs, annotation sets, ontology snapshots and subgraphs, query
// sets): their query parameters and their response rows. The same schemas
// validate requests, serialise responses (fast-json-stringify) and make up
// /openapi.json. Parameter descriptions double as the hint of a 400.
import { FEATURE_COLUMNS } from '../lib/queries/prediction-export.js';
import { MAX_LIMIT, UUID_PATTERN, addParameterHints, nullable } from './params.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;

/** Accessions: UniProt accessions and isoforms (P12345-2), and the header accessions of query sets. */
export const ACCESSION_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:|-]{0,99}$';
export const GO_ID_PATTERN = '^GO:[0-9]{7}$';
/** Most GO ids one subgraph request may name. */
export const MAX_SUBGRAPH_GO_IDS = 100;
/** Highest `top`. */
export const MAX_TOP = 1000;

const DEFAULT_LIMIT = 20;

export const READ_PARAMETERS = {
  id: { type: 'string', pattern: UUID_PATTERN, description: 'id: a UUID such as 0190f5a2-7c1e-7d3a-9b1f-2a3c4d5e6f70 (list them with the matching GET list route)' },
  accession: { type: 'string', pattern: ACCESSION_PATTERN, description: 'accession: a protein accession such as P69905 or P69905-2 (letters, digits and _ . : | -, at most 100)' },
  // no default: TSV and Arrow refuse an explicit limit, so the route must see whether one was sent
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: `limit: a positive integer up to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}; JSON only)` },
  after: { type: 'string', minLength: 1, maxLength: 400, pattern: '^[A-Za-z0-9_-]+$', description: 'after: the `next` cursor of the previous page, sent back unchanged (JSON only)' },
  format: { type: 'string', enum: ['json', 'tsv', 'arrow'], description: 'format: json (paginated), tsv (CAFA target<TAB>term<TAB>score lines) or arrow (an Arrow IPC stream); default: the Accept header, else json' },
  protein: { type: 'string', pattern: ACCESSION_PATTERN, description: 'protein: a protein accession such as P69905' },
  aspect: { type: 'string', minLength: 1, maxLength: 40, description: 'aspect: P, F or C (also BPO, MFO, CCO, BP, MF, CC or biological_process, molecular_function, cellular_component)' },
  min_score: { type: 'number', minimum: 0, maximum: 1, description: 'min_score: a number from 0 to 1; rows scoring less (or without a score) are left out' },
  go_id: { type: 'string', pattern: GO_ID_PATTERN, description: 'go_id: a GO id such as GO:0008150' },
  top: { type: 'integer', minimum: 1, maximum: MAX_TOP, description: `top: a positive integer up to ${MAX_TOP}: the best N terms of each protein (one row per term, ranked by score)` },
  prediction_set_id: { type: 'string', pattern: UUID_PATTERN, description: 'prediction_set_id: a UUID of a prediction set (GET /prediction-sets)' },
  kind: { type: 'string', enum: ['knn', 'identity', 'imported', 'baseline', 'scored'], description: 'kind: knn, identity, imported, baseline or scored' },
  taxonomy_id: { type: 'integer', minimum: 1, maximum: 2147483647, description: 'taxonomy_id: an NCBI taxon id such as 9606' },
  reviewed: { type: 'boolean', description: 'reviewed: true (Swiss-Prot) or false (TrEMBL)' },
  q: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\x00-\\x1f%]+$', description: 'q: the start of an accession, entry name or gene name (1 to 100 characters, no %), case-insensitive' },
  active: { type: 'boolean', description: 'active: true or false, the configs the embedder uses (or not)' },
  source: { type: 'string', minLength: 1, maxLength: 200, description: 'source: an annotation source such as goa' },
  go_ids: { type: 'string', minLength: 1, maxLength: 20_000, pattern: '^GO:[0-9]{7}(,GO:[0-9]{7})*$', description: `go_ids: comma-separated GO ids such as GO:0006915,GO:0008150 (at most ${MAX_SUBGRAPH_GO_IDS})` },
  features: { type: 'boolean', default: false, description: 'features: true or false (default false): each JSON row also carries a `features` object with every feature column of go_prediction, null ones included (TSV ignores it; Arrow always has them)' },
} as const;

addParameterHints(READ_PARAMETERS);

/** The default page size of the read lists. */
export const READ_DEFAULT_LIMIT = DEFAULT_LIMIT;

type ReadParameter = keyof typeof READ_PARAMETERS;

/** A params/querystring schema of read parameters; unknown parameters are refused. */
export function readSchema(names: readonly ReadParameter[], required: readonly ReadParameter[] = []) {
  return { type: 'object', properties: Object.fromEntries(names.map((n) => [n, READ_PARAMETERS[n]])), required, additionalProperties: false } as const;
}

const next = { ...nullable('string'), description: 'the cursor of the next page (send it as ?after=), null on the last page' } as const;

/** A page: `{ <name>: [row...], next }`. */
export function pageSchema(name: string, row: Record<string, unknown>) {
  return { type: 'object', required: [name, 'next'], properties: { [name]: { type: 'array', items: row }, next } } as const;
}

// ---------------------------------------------------------------- prediction sets

export const PREDICTION_SET = {
  type: 'object',
  required: ['id', 'kind', 'name', 'ontology_snapshot_id', 'obo_version', 'created_at'],
  properties: {
    id: uuid,
    kind: { type: 'string', enum: ['knn', 'identity', 'imported', 'baseline', 'scored'], description: 'scored: the rows of another set rescored by a scoring config (meta.scoring_config, meta.source_prediction_set_id)' },
    name: nullable('string'),
    ontology_snapshot_id: uuid,
    obo_version: str,
    annotation_set_id: nullable('string'),
    embedding_config_id: nullable('string'),
    query_set_id: nullable('string'),
    limit_per_entry: { ...nullable('integer'), description: 'k: neighbours per query (knn, identity)' },
    distance_threshold: nullable('number'),
    meta: { type: 'object', additionalProperties: true, description: 'the method and its scoring, as recorded by whoever made the set' },
    job_id: nullable('string'),
    scoring_config_id: { ...nullable('string'), description: 'kind scored: the scoring config whose recipe made the scores (GET /scoring-configs/{name}); null otherwise' },
    source_prediction_set_id: { ...nullable('string'), description: 'kind scored: the prediction set whose rows were rescored; null otherwise' },
    created_at: dateTime,
  },
} as const;

const ASPECT_COUNT = {
  type: 'object',
  required: ['aspect', 'rows', 'proteins', 'terms'],
  properties: {
    aspect: { ...nullable('string'), description: 'P, F or C (null: a term outside the three GO namespaces)' },
    rows: int,
    proteins: int,
    terms: int,
  },
} as const;

export const PREDICTION_SET_DETAIL = {
  type: 'object',
  required: [...PREDICTION_SET.required, 'counts'],
  properties: {
    ...PREDICTION_SET.properties,
    counts: {
      type: 'object',
      required: ['rows', 'proteins', 'by_aspect', 'queries'],
      properties: {
        rows: { ...int, description: 'go_prediction rows (one per protein, term and reference protein)' },
        proteins: { ...int, description: 'proteins with at least one prediction' },
        by_aspect: { type: 'array', items: ASPECT_COUNT },
        queries: {
          type: 'object',
          required: ['predicted', 'unpredictable', 'pending'],
          properties: { predicted: int, unpredictable: int, pending: int },
          description: 'queries of a predict job: dealt with (predicted, unpredictable) or still waiting for their embedding',
        },
      },
    },
  },
} as const;

const FEATURE_TYPE = { float: 'number', int: 'integer', text: 'string' } as const;

/** The feature columns of a row (with features=true): every one, null until the enricher filled it. */
const FEATURES = {
  type: 'object',
  description: 'with features=true: every feature column of the row (alignment, taxonomy, neighbour statistics; README, Feature enricher), null when not computed',
  required: FEATURE_COLUMNS.map(([c]) => c),
  properties: Object.fromEntries(FEATURE_COLUMNS.map(([c, kind]) => [c, nullable(FEATURE_TYPE[kind])])),
  additionalProperties: false,
} as const;

export const PREDICTION = {
  type: 'object',
  required: ['prediction_set_id', 'protein', 'go_id', 'go_name', 'aspect', 'score'],
  properties: {
    prediction_set_id: uuid,
    protein: { ...str, description: 'the query protein' },
    go_id: str,
    go_name: nullable('string'),
    aspect: { ...nullable('string'), description: 'P, F or C' },
    score: nullable('number'),
    ref_protein: { ...nullable('string'), description: 'the reference protein the term was transferred from (null: imported)' },
    distance: nullable('number'),
    evidence_code: nullable('string'),
    qualifier: nullable('string'),
    rank: { ...int, description: 'with top=N: the term\'s rank within its protein (1 = best)' },
    features: FEATURES,
  },
} as const;

export const PREDICTION_PAGE = pageSchema('predictions', PREDICTION);

// ---------------------------------------------------------------- proteins

const PROTEIN_PROPERTIES = {
  accession: str,
  canonical_accession: str,
  is_canonical: bool,
  isoform_index: nullable('integer'),
  entry_name: nullable('string'),
  reviewed: nullable('boolean'),
  taxonomy_id: nullable('integer'),
  organism: nullable('string'),
  gene_name: nullable('string'),
  protein_existence: nullable('integer'),
  sequence_version: nullable('integer'),
  length: nullable('integer'),
} as const;

export const PROTEIN = { type: 'object', required: ['accession', 'canonical_accession', 'is_canonical'], properties: PROTEIN_PROPERTIES } as const;
export const PROTEIN_PAGE = pageSchema('proteins', PROTEIN);

const ANNOTATION = {
  type: 'object',
  required: ['protein_accession', 'go_id', 'aspect', 'qualifier', 'evidence_code'],
  properties: {
    protein_accession: str,
    go_id: str,
    go_name: nullable('string'),
    aspect: nullable('string'),
    qualifier: str,
    evidence_code: str,
    db_reference: str,
    with_from: str,
    assigned_by: str,
    annotation_date: str,
  },
} as const;

export const PROTEIN_DETAIL = {
  type: 'object',
  required: ['accession', 'canonical_accession', 'is_canonical', 'isoforms', 'taxonomy', 'sequence', 'annotation_sets', 'annotations_truncated'],
  properties: {
    ...PROTEIN_PROPERTIES,
    isoforms: {
      type: 'array',
      description: 'every protein of the same canonical accession, the canonical one first',
      items: { type: 'object', required: ['accession', 'is_canonical'], properties: { accession: str, is_canonical: bool, isoform_index: nullable('integer'), length: nullable('integer') } },
    },
    taxonomy: {
      type: ['object', 'null'],
      description: 'the NCBI taxon (null: the protein has none); names null when the taxonomy is not loaded',
      properties: { tax_id: int, scientific_name: nullable('string'), rank: nullable('string'), parent_tax_id: nullable('integer') },
    },
    sequence: {
      type: ['object', 'null'],
      description: 'null until the sequence has landed',
      properties: { md5: str, length: int, sequence: str },
    },
    annotation_sets: {
      type: 'array',
      description: 'the GAF rows of the protein (and of its canonical accession), grouped by annotation set, newest set first',
      items: {
        type: 'object',
        required: ['annotation_set_id', 'source', 'source_version', 'obo_version', 'annotations'],
        properties: { annotation_set_id: uuid, source: str, source_version: nullable('string'), obo_version: str, annotations: { type: 'array', items: ANNOTATION } },
      },
    },
    annotations_truncated: { ...bool, description: 'true when the protein has more annotation rows than one answer holds' },
  },
} as const;

// ---------------------------------------------------------------- reference data

export const EMBEDDING_CONFIG = {
  type: 'object',
  required: ['id', 'model_name', 'model_backend', 'active', 'created_at'],
  properties: {
    id: uuid,
    model_name: str,
    model_backend: str,
    layer_indices: { type: 'array', items: int },
    layer_agg: str,
    pooling: str,
    normalize: bool,
    normalize_residues: bool,
    max_length: int,
    use_chunking: bool,
    chunk_size: int,
    chunk_overlap: int,
    description: nullable('string'),
    active: bool,
    created_at: dateTime,
  },
} as const;
export const EMBEDDING_CONFIG_PAGE = pageSchema('embedding_configs', EMBEDDING_CONFIG);

/** GET /scoring-configs/{name}: a name or an id (a UUID matches the name pattern too). Not a shared hint: POST /prediction-sets has a body field `name` of its own. */
export const SCORING_CONFIG_PARAMS = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'name: a scoring config name such as alignment-weighted, or its id (GET /scoring-configs lists them)' },
  },
} as const;

const weightTable = { type: 'object', additionalProperties: { type: 'number' } } as const;

export const SCORING_CONFIG = {
  type: 'object',
  required: ['id', 'name', 'formula', 'weights', 'evidence_weights', 'description', 'created_at'],
  properties: {
    id: uuid,
    name: str,
    formula: { type: 'string', enum: ['linear', 'evidence_weighted'], description: 'linear: sum(w_i * s_i) / sum(w_i) over the signals with a weight > 0 and a value; evidence_weighted: that times the evidence weight of the row\'s code' },
    weights: { ...weightTable, description: 'signal -> weight (embedding_similarity, identity_nw, identity_sw, taxonomic_proximity, neighbor_vote_fraction, evidence_weight)' },
    evidence_weights: { ...weightTable, type: ['object', 'null'], description: 'evidence code -> weight overriding the default table (null: the defaults; README, Scoring configs)' },
    description: nullable('string'),
    created_at: dateTime,
  },
} as const;
export const SCORING_CONFIG_PAGE = pageSchema('scoring_configs', SCORING_CONFIG);

export const ANNOTATION_SET = {
  type: 'object',
  required: ['id', 'source', 'source_version', 'ontology_snapshot_id', 'obo_version', 'created_at'],
  properties: {
    id: uuid,
    source: str,
    source_version: nullable('string'),
    ontology_snapshot_id: uuid,
    obo_version: str,
    job_id: nullable('string'),
    meta: { type: 'object', additionalProperties: true },
    created_at: dateTime,
  },
} as const;
export const ANNOTATION_SET_PAGE = pageSchema('annotation_sets', ANNOTATION_SET);

export const ONTOLOGY_SNAPSHOT = {
  type: 'object',
  required: ['id', 'obo_version', 'obo_url', 'loaded_at', 'complete'],
  properties: {
    id: uuid,
    obo_version: str,
    obo_url: str,
    loaded_at: dateTime,
    term_count: { ...nullable('integer'), description: 'the release header\'s term count (null until it landed)' },
    terms_loaded: int,
    relationships: int,
    pending_edges: int,
    complete: bool,
  },
} as const;
export const ONTOLOGY_SNAPSHOT_PAGE = pageSchema('ontology_snapshots', ONTOLOGY_SNAPSHOT);

export const SUBGRAPH = {
  type: 'object',
  required: ['ontology_snapshot_id', 'nodes', 'edges'],
  properties: {
    ontology_snapshot_id: uuid,
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['go_id', 'name', 'namespace', 'aspect', 'is_obsolete', 'requested'],
        properties: { go_id: str, name: nullable('string'), namespace: nullable('string'), aspect: nullable('string'), is_obsolete: bool, requested: { ...bool, description: 'one of go_ids (or the term an alt id of go_ids names)' } },
      },
    },
    edges: {
      type: 'array',
      items: {
        type: 'object',
        required: ['child', 'parent', 'relation'],
        properties: { child: str, parent: str, relation: { type: 'string', description: 'is_a, part_of, regulates, positively_regulates or negatively_regulates' } },
      },
    },
  },
} as const;

export const QUERY_SET = {
  type: 'object',
  required: ['id', 'name', 'created_at', 'entries', 'pending'],
  properties: {
    id: uuid,
    name: str,
    description: nullable('string'),
    created_at: dateTime,
    entries: { ...int, description: 'entries whose sequence has landed' },
    pending: { ...int, description: 'entries still waiting for their sequence' },
  },
} as const;
export const QUERY_SET_PAGE = pageSchema('query_sets', QUERY_SET);

export const QUERY_SET_DETAIL = {
  type: 'object',
  required: [...QUERY_SET.required, 'prediction_sets'],
  properties: {
    ...QUERY_SET.properties,
    prediction_sets: {
      type: 'array',
      description: 'the prediction sets made for this query set, newest first',
      items: { type: 'object', required: ['id', 'kind', 'name', 'created_at'], properties: { id: uuid, kind: str, name: nullable('string'), created_at: dateTime } },
    },
  },
} as const;
