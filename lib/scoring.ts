// Scoring configs: named, immutable recipes that turn the feature columns of a
// go_prediction row into its score (README, Scoring configs). Pure: no
// database here; lib/queries/scoring-configs.ts stores recipes and writes
// scored sets with the same formula as SQL expressions.
//
// Per row, with the signals s_i of the recipe whose weight w_i > 0:
//   linear            = sum(w_i * s_i) / sum(w_i), over the signals whose value
//                       is not null (a feature family that was not computed
//                       drops out of numerator and denominator)
//   evidence_weighted = linear * evidence weight of the row's code
// No signal with a value: the score is null (there is nothing to score the
// row on; evaluation and exports count such terms as unscored rather than as
// a confident 0).
import { ProteaError } from './errors.js';
import { isUuid } from './ids.js';

export const FORMULAS = ['linear', 'evidence_weighted'] as const;
export type Formula = (typeof FORMULAS)[number];

/** The signals a recipe may weight, each a number (usually in [0, 1]) or null. */
export const SIGNALS = ['embedding_similarity', 'identity_nw', 'identity_sw', 'taxonomic_proximity', 'neighbor_vote_fraction', 'evidence_weight'] as const;
export type Signal = (typeof SIGNALS)[number];

/** What each signal is, for --help and README. */
export const SIGNAL_DOC: Record<Signal, string> = {
  embedding_similarity: '1 - distance/2 (cosine distance in [0, 2])',
  identity_nw: 'Needleman-Wunsch identity (0..1)',
  identity_sw: 'Smith-Waterman identity (0..1)',
  taxonomic_proximity: '1 / (1 + taxonomic_distance)',
  neighbor_vote_fraction: 'share of the neighbours that carry the term (0..1)',
  evidence_weight: 'the evidence weight of the row\'s evidence code',
};

/** Weight of an evidence code absent from the table (and of a row without a code). */
export const UNKNOWN_EVIDENCE_WEIGHT = 0.5;

/** The reference system's evidence weights; a recipe's evidence_weights override entries. */
export const DEFAULT_EVIDENCE_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  ...Object.fromEntries(['EXP', 'IDA', 'IPI', 'IMP', 'IGI', 'IEP', 'HTP', 'HDA', 'HMP', 'HGI', 'HEP', 'IC', 'TAS'].map((c) => [c, 1.0])),
  ...Object.fromEntries(['ISS', 'ISO', 'ISA', 'ISM', 'IGC', 'IBA', 'IBD', 'IKR', 'IRD', 'RCA'].map((c) => [c, 0.7])),
  IEA: 0.8,
  NAS: 0.5,
  ND: 0.1,
});

export interface ScoringRecipe {
  formula: Formula;
  /** signal -> weight >= 0 (0 disables the signal) */
  weights: Partial<Record<Signal, number>>;
  /** evidence code -> weight in [0, 1], over DEFAULT_EVIDENCE_WEIGHTS; null: the defaults */
  evidenceWeights: Record<string, number> | null;
}

export interface ScoringConfigSpec extends ScoringRecipe {
  name: string;
  description: string | null;
}

/** The presets the migration inserts (sql/0017_scoring_configs.up.sql). */
export const PRESETS: readonly ScoringConfigSpec[] = [
  { name: 'embedding', formula: 'linear', weights: { embedding_similarity: 1.0 }, evidenceWeights: null, description: 'embedding similarity only: 1 - distance/2' },
  {
    name: 'alignment-weighted',
    formula: 'linear',
    weights: { embedding_similarity: 0.5, identity_nw: 0.3, identity_sw: 0.2 },
    evidenceWeights: null,
    description: 'embedding similarity 0.5, Needleman-Wunsch identity 0.3, Smith-Waterman identity 0.2',
  },
  {
    name: 'evidence-weighted',
    formula: 'evidence_weighted',
    weights: { embedding_similarity: 1.0 },
    evidenceWeights: null,
    description: 'embedding similarity times the evidence weight of the transferred annotation\'s code',
  },
];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EVIDENCE_CODE = /^[A-Z]{2,5}$/;

function usage(field: string, message: string): ProteaError {
  return new ProteaError('USAGE', `${field}: ${message}`, { field, hint: 'See `protea scoring create --help` and README, Scoring configs.' });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A recipe from untrusted input (CLI flags parsed to objects, a database row),
 * checked field by field: USAGE naming the field (formula, weights.SIGNAL,
 * evidence_weights.CODE) when something is wrong. The result is canonical:
 * keys sorted, so two spellings of one recipe compare equal with sameRecipe.
 */
export function validateRecipe(input: { formula?: unknown; weights?: unknown; evidenceWeights?: unknown }): ScoringRecipe {
  const formula = input.formula ?? 'linear';
  if (typeof formula !== 'string' || !(FORMULAS as readonly string[]).includes(formula)) {
    throw usage('formula', `${JSON.stringify(formula)} is not a formula; expected one of ${FORMULAS.join(', ')}`);
  }
  if (!isRecord(input.weights)) throw usage('weights', 'expected an object of signal -> weight');
  const weights: Partial<Record<Signal, number>> = {};
  for (const key of Object.keys(input.weights).sort()) {
    const w = input.weights[key];
    if (!(SIGNALS as readonly string[]).includes(key)) throw usage(`weights.${key}`, `unknown signal; expected one of ${SIGNALS.join(', ')}`);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw usage(`weights.${key}`, `${JSON.stringify(w)} is not a weight; expected a finite number >= 0`);
    weights[key as Signal] = w;
  }
  if (!Object.values(weights).some((w) => w > 0)) throw usage('weights', `no signal has a weight > 0; give at least one of ${SIGNALS.join(', ')}`);
  let evidenceWeights: Record<string, number> | null = null;
  if (input.evidenceWeights !== undefined && input.evidenceWeights !== null) {
    if (!isRecord(input.evidenceWeights)) throw usage('evidence_weights', 'expected an object of evidence code -> weight');
    evidenceWeights = {};
    for (const code of Object.keys(input.evidenceWeights).sort()) {
      const w = input.evidenceWeights[code];
      if (!EVIDENCE_CODE.test(code)) throw usage(`evidence_weights.${code}`, 'not an evidence code; expected 2 to 5 capital letters such as IDA or IEA');
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1) throw usage(`evidence_weights.${code}`, `${JSON.stringify(w)} is not an evidence weight; expected a number from 0 to 1`);
      evidenceWeights[code] = w;
    }
    if (Object.keys(evidenceWeights).length === 0) evidenceWeights = null;
  }
  return { formula: formula as Formula, weights, evidenceWeights };
}

/** A config's name: letters, digits, . _ - (not a UUID, so a name and an id never collide). */
export function validateName(name: string): string {
  if (!NAME.test(name) || isUuid(name)) throw usage('name', `${JSON.stringify(name)}: expected 1 to 64 letters, digits, '.', '_' or '-' starting with a letter or digit`);
  return name;
}

/** Two recipes score every row alike: same formula, same positive weights, same evidence table. */
export function sameRecipe(a: ScoringRecipe, b: ScoringRecipe): boolean {
  const active = (r: ScoringRecipe) => JSON.stringify(Object.entries(r.weights).filter(([, w]) => (w ?? 0) > 0).sort(([x], [y]) => x.localeCompare(y)));
  const table = (r: ScoringRecipe) => JSON.stringify(Object.entries(effectiveEvidenceWeights(r)).sort(([x], [y]) => x.localeCompare(y)));
  return a.formula === b.formula && active(a) === active(b) && table(a) === table(b);
}

/** The evidence table a recipe scores with: the defaults, overridden by its own entries. */
export function effectiveEvidenceWeights(r: Pick<ScoringRecipe, 'evidenceWeights'>): Record<string, number> {
  return { ...DEFAULT_EVIDENCE_WEIGHTS, ...(r.evidenceWeights ?? {}) };
}

/** The weight of an evidence code (a row without a code counts as an unknown code). */
export function evidenceWeight(code: string | null | undefined, table: Record<string, number> = DEFAULT_EVIDENCE_WEIGHTS): number {
  if (code === null || code === undefined) return UNKNOWN_EVIDENCE_WEIGHT;
  return Object.hasOwn(table, code) ? table[code]! : UNKNOWN_EVIDENCE_WEIGHT;
}

/** The go_prediction columns the signals read. */
export interface FeatureRow {
  distance: number | null;
  evidence_code: string | null;
  identity_nw: number | null;
  identity_sw: number | null;
  taxonomic_distance: number | null;
  neighbor_vote_fraction: number | null;
}

/** Every signal of a row (null: its feature was not computed). */
export function signalsOf(row: FeatureRow, table: Record<string, number> = DEFAULT_EVIDENCE_WEIGHTS): Record<Signal, number | null> {
  return {
    embedding_similarity: row.distance === null ? null : 1 - row.distance / 2,
    identity_nw: row.identity_nw,
    identity_sw: row.identity_sw,
    taxonomic_proximity: row.taxonomic_distance === null ? null : 1 / (1 + row.taxonomic_distance),
    neighbor_vote_fraction: row.neighbor_vote_fraction,
    evidence_weight: evidenceWeight(row.evidence_code, table),
  };
}

/** The score of one row under a (validated) recipe; null when no weighted signal has a value. */
export function scoreRow(recipe: ScoringRecipe, row: FeatureRow): number | null {
  const table = effectiveEvidenceWeights(recipe);
  const s = signalsOf(row, table);
  let num = 0;
  let den = 0;
  for (const signal of SIGNALS) {
    const w = recipe.weights[signal] ?? 0;
    const v = s[signal];
    if (w <= 0 || v === null) continue;
    num += w * v;
    den += w;
  }
  if (den === 0) return null;
  const linear = num / den;
  return recipe.formula === 'evidence_weighted' ? linear * evidenceWeight(row.evidence_code, table) : linear;
}

/** `k=v,k=v` of a flag as an object of numbers: USAGE naming the flag and the pair when one is malformed. */
export function parsePairs(flag: string, raw: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(part);
    if (!m) throw usage(flag, `${JSON.stringify(part)}: expected KEY=NUMBER`);
    const v = Number(m[2]);
    if (!Number.isFinite(v)) throw usage(flag, `${JSON.stringify(part)}: ${m[2]} is not a number`);
    if (Object.hasOwn(out, m[1]!)) throw usage(flag, `${m[1]} is given twice`);
    out[m[1]!] = v;
  }
  return out;
}
