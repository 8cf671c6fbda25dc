// JSON schemas of the path and query parameters every route shares. Each
// property carries a description: it is what a client is told (as the hint)
// when the parameter is invalid, so the schema and the message cannot drift.

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;

export const PARAMETERS = {
  id: { type: 'string', pattern: UUID_PATTERN, description: 'id: a UUID such as 0190f5a2-7c1e-7d3a-9b1f-2a3c4d5e6f70 (list them with GET /jobs, GET /evaluation-sets or GET /evaluation-sets/ID/results)' },
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `limit: a positive integer up to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})` },
  status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'], description: 'status: one of queued, running, succeeded, failed, cancelled' },
  operation: { type: 'string', minLength: 1, maxLength: 200, description: 'operation: a job operation name such as produce.fasta' },
  category: { type: 'string', enum: ['NK', 'LK', 'PK'], description: 'category: NK (no knowledge), LK (limited knowledge) or PK (partial knowledge)' },
  namespace: { type: 'string', pattern: '^[A-Za-z0-9_:.-]{1,100}$', description: 'namespace: an ontology namespace such as biological_process, molecular_function or cellular_component' },
  weighted: { type: 'boolean', default: false, description: 'weighted: true or false (default false): plot the information-accretion weighted curves' },
  format: { type: 'string', enum: ['json', 'tsv'], default: 'json', description: 'format: json (default) or tsv (the best rows, tab-separated)' },
  best: { type: 'string', enum: ['f', 's', 'f_w', 's_w'], default: 'f', description: 'best: which optimum the TSV rows are: f (maximum F, default), s (minimum S), f_w or s_w (their information-accretion weighted twins)' },
  evaluationSetId: { type: 'string', pattern: UUID_PATTERN, description: 'evaluation_set_id: a UUID of an evaluation set (GET /evaluation-sets)' },
  after: { type: 'string', minLength: 1, maxLength: 400, pattern: '^[A-Za-z0-9_-]+$', description: 'after: the `next` cursor of the previous page, sent back unchanged' },
  predictionSetId: { type: 'string', pattern: UUID_PATTERN, description: 'prediction_set_id: a UUID of a prediction set' },
} as const;

export type ParameterName = keyof typeof PARAMETERS;

/** A JSON schema type that also admits null (a nullable column). */
export const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra }) as const;

// Descriptions of parameters that route modules define in their own schema files (api/read-schemas.ts).
const moreHints = new Map<string, string>();

/** Makes the descriptions of more parameters the hint of their 400 (PARAMETERS' own win on a shared name). */
export function addParameterHints(parameters: Readonly<Record<string, { description: string }>>): void {
  for (const [name, p] of Object.entries(parameters)) if (!moreHints.has(name)) moreHints.set(name, p.description);
}

/** What a parameter must look like, by its name in the URL (snake_case query names included). */
export function parameterHint(name: string): string | undefined {
  const key = (name === 'evaluation_set_id' ? 'evaluationSetId' : name === 'prediction_set_id' ? 'predictionSetId' : name) as ParameterName;
  return PARAMETERS[key]?.description ?? moreHints.get(name);
}

/** A params/querystring schema from parameter names; `required` lists the mandatory ones. */
export function objectSchema(properties: Record<string, (typeof PARAMETERS)[ParameterName]>, required: string[] = []) {
  return { type: 'object', properties, required, additionalProperties: false } as const;
}

export const idParams = objectSchema({ id: PARAMETERS.id }, ['id']);
