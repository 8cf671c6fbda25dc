// protea scoring list | show NAME | create: scoring configs, the named and
// immutable recipes `protea predictions score` applies (lib/scoring.ts,
// lib/queries/scoring-configs.ts; README, Scoring configs).
import type { Command } from 'commander';
import type { ScoringConfigRow } from '../../lib/queries/scoring-configs.js';
import { DEFAULT_EVIDENCE_WEIGHTS, FORMULAS, SIGNALS, SIGNAL_DOC, UNKNOWN_EVIDENCE_WEIGHT, parsePairs } from '../../lib/scoring.js';

const queries = async () => {
  const [{ withQueryPool }, configs] = await Promise.all([import('../../lib/db.js'), import('../../lib/queries/scoring-configs.js')]);
  return { withQueryPool, ...configs };
};

const when = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);
const pairs = (o: Record<string, number | undefined>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(',');

function describe(c: ScoringConfigRow): string {
  return [
    `scoring config ${c.id}`,
    `  name              ${c.name}`,
    `  formula           ${c.formula}`,
    `  weights           ${pairs(c.weights)}`,
    `  evidence weights  ${c.evidenceWeights ? `${pairs(c.evidenceWeights)} (others: the defaults)` : 'the defaults'}`,
    `  description       ${c.description ?? ''}`,
    `  created           ${when(c.createdAt)}`,
  ].join('\n');
}

const SIGNAL_HELP = `
Signals (a null feature drops out of numerator and denominator):
${SIGNALS.map((s) => `  ${s.padEnd(24)}${SIGNAL_DOC[s]}`).join('\n')}
Formulas:
  linear             sum(w*s) / sum(w) over the signals with w > 0 and a value (none: no score)
  evidence_weighted  linear times the evidence weight of the row's code
Default evidence weights (any other code, or none: ${UNKNOWN_EVIDENCE_WEIGHT}):
  ${Object.entries(DEFAULT_EVIDENCE_WEIGHTS).map(([k, v]) => `${k}=${v}`).join(' ')}
`;

/** `options.dbUrl` overrides PROTEA_DB_URL (tests point it at a fresh database). */
export function registerScoring(program: Command, options: { dbUrl?: string } = {}): void {
  const url = options.dbUrl ? [options.dbUrl] : [];
  const scoring = program.command('scoring').description('scoring configs: named, immutable recipes that score prediction rows from their features (`protea predictions score` applies one)');

  scoring
    .command('list')
    .description('every scoring config: name, formula, weights and id')
    .action(async () => {
      const { withQueryPool, listScoringConfigs } = await queries();
      const rows = await withQueryPool((db) => listScoringConfigs(db), ...url);
      for (const c of rows) console.log(`${c.name.padEnd(24)}  ${c.formula.padEnd(17)}  ${pairs(c.weights)}${c.evidenceWeights ? `  evidence ${pairs(c.evidenceWeights)}` : ''}  ${c.id}`);
      if (rows.length === 0) console.log('no scoring configs (`protea db migrate` inserts the presets)');
    });

  scoring
    .command('show')
    .description('one scoring config by name or id: its recipe')
    .argument('<name>', 'name or id')
    .action(async (name: string) => {
      const { withQueryPool, resolveScoringConfig } = await queries();
      console.log(describe(await withQueryPool((db) => resolveScoringConfig(db, name, 'name'), ...url)));
    });

  scoring
    .command('create')
    .description('create a scoring config (immutable: the same recipe under the same name prints the existing id; another recipe under a taken name is refused). Prints the id on its last line.')
    .requiredOption('--name <name>', 'unique name: letters, digits, . _ -')
    .requiredOption('--weights <list>', `signal=weight pairs, comma-separated, weights >= 0 (0 disables): ${SIGNALS.join(', ')}`)
    .option('--formula <formula>', FORMULAS.join(' | '), 'linear')
    .option('--evidence-weights <list>', 'CODE=weight pairs in [0, 1] that override the default evidence weights')
    .option('--description <text>', 'what the recipe is for')
    .addHelpText('after', `${SIGNAL_HELP}\nExample:\n  protea scoring create --name taxo-aware --weights embedding_similarity=0.6,identity_sw=0.2,taxonomic_proximity=0.2\n`)
    .action(async (flags: { name: string; weights: string; formula: string; evidenceWeights?: string; description?: string }) => {
      const weights = parsePairs('--weights', flags.weights);
      const evidenceWeights = flags.evidenceWeights === undefined ? null : parsePairs('--evidence-weights', flags.evidenceWeights);
      const { withQueryPool, createScoringConfig } = await queries();
      const { config, created } = await withQueryPool(
        (db) => createScoringConfig(db, { name: flags.name, formula: flags.formula, weights, evidenceWeights, description: flags.description ?? null }),
        ...url,
      );
      console.log(created ? `created scoring config ${config.name}` : `scoring config ${config.name} exists with this recipe`);
      console.log(config.id);
    });
}
