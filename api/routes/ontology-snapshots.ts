// GET /ontology-snapshots (loaded GO releases and their load state) and
// /ontology-snapshots/:id/subgraph (the ancestors of some terms as nodes and
// edges, capped by PROTEA_API_SUBGRAPH_MAX_NODES).
import type { FastifyInstance } from 'fastify';
import type { DatabasePool } from '../../lib/db.js';
import { ProteaError } from '../../lib/errors.js';
import { ancestorSubgraph, resolveGoIds } from '../../lib/queries/ontology-subgraph.js';
import { getOntologySnapshot } from '../../lib/queries/ontology-terms.js';
import { ontologySnapshotsPage } from '../../lib/queries/reference-lists.js';
import { badParameter, notFound } from '../errors.js';
import { timeKeyedPage } from '../read-cursors.js';
import { MAX_SUBGRAPH_GO_IDS, ONTOLOGY_SNAPSHOT_PAGE, SUBGRAPH, readSchema } from '../read-schemas.js';
import { iso } from './shared.js';

export function registerOntologySnapshotRoutes(app: FastifyInstance, db: DatabasePool, settings: { apiSubgraphMaxNodes: number }): void {
  app.get<{ Querystring: { limit?: number; after?: string } }>(
    '/ontology-snapshots',
    {
      schema: {
        summary: 'Loaded GO releases, newest first, with their load state',
        tags: ['reference data'],
        querystring: readSchema(['limit', 'after']),
        response: { 200: ONTOLOGY_SNAPSHOT_PAGE },
      },
    },
    async (request) => {
      const { items, next } = await timeKeyedPage(request.query, (opts) => ontologySnapshotsPage(db, opts));
      return { ontology_snapshots: items.map((r) => ({ ...r, loaded_at: iso(r.loaded_at) })), next };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { go_ids: string } }>(
    '/ontology-snapshots/:id/subgraph',
    {
      schema: {
        summary: 'The ancestors of GO terms over is_a, part_of and the regulates family, as {nodes, edges}',
        description: `At most ${MAX_SUBGRAPH_GO_IDS} go_ids; a subgraph of more terms than PROTEA_API_SUBGRAPH_MAX_NODES (default 2000) is refused with 400. Alt ids name their term.`,
        tags: ['reference data'],
        params: readSchema(['id'], ['id']),
        querystring: readSchema(['go_ids'], ['go_ids']),
        response: { 200: SUBGRAPH },
      },
    },
    async (request) => {
      const id = request.params.id.toLowerCase();
      const asked = [...new Set(request.query.go_ids.split(','))];
      if (asked.length > MAX_SUBGRAPH_GO_IDS) {
        throw badParameter('go_ids', `query parameter "go_ids" names ${asked.length} GO ids; at most ${MAX_SUBGRAPH_GO_IDS} are allowed`, `Ask for at most ${MAX_SUBGRAPH_GO_IDS} terms at a time.`);
      }
      const snapshot = await getOntologySnapshot(db, id);
      if (!snapshot) throw notFound('ontology snapshot', id, 'List the loaded GO releases with GET /ontology-snapshots; `protea produce obo FILE` loads one.');
      const resolved = await resolveGoIds(db, id, asked);
      const unknown = asked.filter((g) => !resolved.has(g));
      if (unknown.length > 0) {
        throw new ProteaError('NOT_FOUND', `ontology snapshot ${id} (${snapshot.obo_version}) has no term ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`, {
          field: 'go_ids',
          hint: 'Give GO ids (or alt ids) of this release; a term new in a later release is not in an older one.',
        });
      }
      const max = settings.apiSubgraphMaxNodes;
      const termIds = [...new Set([...resolved.values()].map((r) => r.id))];
      const { nodes, edges } = await ancestorSubgraph(db, id, termIds, max);
      if (nodes.length > max) {
        throw badParameter('go_ids', `the ancestors of these ${asked.length} GO ids are more than ${max} terms (PROTEA_API_SUBGRAPH_MAX_NODES)`, 'Ask for fewer or more specific terms at a time, or raise PROTEA_API_SUBGRAPH_MAX_NODES of the API process.');
      }
      const requested = new Set(termIds);
      return {
        ontology_snapshot_id: id,
        nodes: nodes.map(({ id: termId, ...n }) => ({ ...n, requested: requested.has(termId) })),
        edges,
      };
    },
  );
}
