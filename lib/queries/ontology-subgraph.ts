// The ancestors of GO terms in one release, as a graph: every term reachable
// from the given ones over is_a, part_of and the regulates family (the DAG
// relations of parsers/obo.ts), and the edges among them. The walk stops once
// it has more terms than the caller's cap, so a large request costs no more
// than the cap.
import { z } from 'zod';
import { GO_DAG_RELATIONS } from '../../parsers/obo.js';
import { sql, type DatabasePool } from '../db.js';

const Resolved = z.object({ asked: z.string(), id: z.number(), go_id: z.string() });

/**
 * The terms of a snapshot named by `goIds` (primary ids, or alt_ids mapped to
 * their term): asked id -> (go_term.id, primary GO id). Unknown ids are absent.
 */
export async function resolveGoIds(db: DatabasePool, snapshotId: string, goIds: readonly string[]): Promise<Map<string, { id: number; go_id: string }>> {
  const ids = sql.array([...goIds], 'text');
  const rows = await db.any(sql.type(Resolved)`
    SELECT a.asked, t.id, t.go_id
      FROM unnest(${ids}) AS a(asked)
      JOIN go_term t ON t.ontology_snapshot_id = ${snapshotId} AND (t.go_id = a.asked OR t.alt_ids @> ARRAY[a.asked])
     ORDER BY a.asked, (t.go_id = a.asked) DESC, t.is_obsolete, t.go_id`);
  const out = new Map<string, { id: number; go_id: string }>();
  for (const r of rows) if (!out.has(r.asked)) out.set(r.asked, { id: r.id, go_id: r.go_id });
  return out;
}

const Node = z.object({ id: z.number(), go_id: z.string(), name: z.string().nullable(), namespace: z.string().nullable(), aspect: z.string().nullable(), is_obsolete: z.boolean() });
export type SubgraphNode = z.infer<typeof Node>;
const Edge = z.object({ child: z.string(), parent: z.string(), relation: z.string() });
export type SubgraphEdge = z.infer<typeof Edge>;

/**
 * The terms with ids `termIds` and all their ancestors, at most `maxNodes + 1`
 * of them (more than maxNodes: the caller refuses), ordered by GO id; and the
 * DAG edges among them (child, parent, relation) ordered by child, parent, relation.
 */
export async function ancestorSubgraph(db: DatabasePool, snapshotId: string, termIds: readonly number[], maxNodes: number): Promise<{ nodes: SubgraphNode[]; edges: SubgraphEdge[] }> {
  const relations = sql.array([...GO_DAG_RELATIONS], 'text');
  const nodes = await db.any(sql.type(Node)`
    WITH RECURSIVE walk(id) AS (
      SELECT unnest(${sql.array([...termIds], 'int4')})
      UNION
      SELECT r.parent_go_term_id
        FROM walk w JOIN go_term_relationship r ON r.child_go_term_id = w.id
       WHERE r.ontology_snapshot_id = ${snapshotId} AND r.relation_type = ANY(${relations})
    )
    SELECT t.id, t.go_id, t.name, t.namespace, t.aspect, t.is_obsolete
      FROM (SELECT id FROM walk LIMIT ${maxNodes + 1}) w JOIN go_term t ON t.id = w.id
     ORDER BY t.go_id`);
  if (nodes.length > maxNodes) return { nodes: [...nodes], edges: [] };
  const ids = sql.array(nodes.map((n) => n.id), 'int4');
  const edges = await db.any(sql.type(Edge)`
    SELECT c.go_id AS child, p.go_id AS parent, r.relation_type AS relation
      FROM go_term_relationship r
      JOIN go_term c ON c.id = r.child_go_term_id
      JOIN go_term p ON p.id = r.parent_go_term_id
     WHERE r.ontology_snapshot_id = ${snapshotId} AND r.child_go_term_id = ANY(${ids}) AND r.parent_go_term_id = ANY(${ids})
       AND r.relation_type = ANY(${relations})
     ORDER BY c.go_id, p.go_id, r.relation_type`);
  return { nodes: [...nodes], edges: [...edges] };
}
