// GET /scoring-configs (the scoring recipes, newest first) and
// /scoring-configs/:name (one, by name or id). Read-only: configs are made
// with `protea scoring create` (immutable, validated there).
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { isUuid } from '../../lib/queries/annotation-sets.js';
import { scoringConfigsPage } from '../../lib/queries/reference-lists.js';
import { getScoringConfig } from '../../lib/queries/scoring-configs.js';
import { timeKeyedPage } from '../read-cursors.js';
import { SCORING_CONFIG, SCORING_CONFIG_PAGE, SCORING_CONFIG_PARAMS, readSchema } from '../read-schemas.js';
import { iso } from './shared.js';

const HINT = 'List the scoring configs with GET /scoring-configs; `protea scoring create` makes one.';

export function registerScoringConfigRoutes(app: FastifyInstance, db: DatabasePool): void {
  app.get<{ Querystring: { limit?: number; after?: string } }>(
    '/scoring-configs',
    {
      schema: {
        summary: 'Scoring configs (formula, signal weights, evidence weights), newest first; read-only: `protea scoring create` makes them',
        tags: ['reference data'],
        querystring: readSchema(['limit', 'after']),
        response: { 200: SCORING_CONFIG_PAGE },
      },
    },
    async (request) => {
      const { items, next } = await timeKeyedPage(request.query, (opts) => scoringConfigsPage(db, opts));
      return { scoring_configs: items.map((r) => ({ ...r, created_at: iso(r.created_at) })), next };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/scoring-configs/:name',
    {
      schema: {
        summary: 'One scoring config, by name or id; read-only: `protea scoring create` makes them',
        description: 'evidence_weights null: the default evidence table (README, Scoring configs).',
        tags: ['reference data'],
        params: SCORING_CONFIG_PARAMS,
        response: { 200: SCORING_CONFIG },
      },
    },
    async (request) => {
      const ref = request.params.name;
      const c = await getScoringConfig(db, ref);
      if (!c) throw new ProteaError('NOT_FOUND', `no scoring config has the ${isUuid(ref) ? 'id' : 'name'} ${ref}`, { field: 'name', hint: HINT });
      return { id: c.id, name: c.name, formula: c.formula, weights: c.weights, evidence_weights: c.evidenceWeights, description: c.description, created_at: c.createdAt.toISOString() };
    },
  );
}
