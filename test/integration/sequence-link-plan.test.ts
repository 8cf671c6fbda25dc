// The sequences sink links the proteins that landed before their sequence.
// That statement runs in every sequences transaction, so its cost must follow
// the batch, not the protein table: on a freshly bulk-loaded table (no
// statistics yet, the state of every first load) the planner once chose to
// scan all of protein per transaction. Checked on the real server with
// EXPLAIN: the proteins are found through an index, and the statement links
// exactly the staged sequences' proteins.
import pg from 'pg';
import t from 'tap';
import { sequencesSink } from '../../sinks/sequences.js';
import { freshDatabase } from '../helpers/fresh-database.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** The sink's merge statement that links late proteins (found by what it updates). */
const linkStatement = sequencesSink.merge.find((s) => /UPDATE protein p SET sequence_id/.test(s.sql));

t.test('linking late proteins reads the protein table through an index, however large and unanalysed', async (t) => {
  t.ok(linkStatement, 'the sequences sink has a link statement');
  const url = await freshDatabase(t, { migrate: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  // 100,000 proteins whose sequences have not landed, as a proteins-first bulk load leaves them;
  // autovacuum off for the table so no ANALYZE runs behind the test's back
  await client.query('ALTER TABLE protein SET (autovacuum_enabled = false)');
  await client.query(`INSERT INTO protein (accession, canonical_accession, sequence_md5)
                      SELECT 'P' || g, 'P' || g, md5('S' || g) FROM generate_series(1, 100000) g`);
  await client.query('BEGIN');
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${sequencesSink.staging.table} (kafka_offset bigint NOT NULL, ${sequencesSink.staging.columns}) ON COMMIT DELETE ROWS`);
  // 500 sequences land: 500 of the proteins are theirs
  await client.query(`INSERT INTO sequence (sequence, sequence_hash, length) SELECT 'S' || g, md5('S' || g), length('S' || g) FROM generate_series(1, 500) g`);
  await client.query(`INSERT INTO ${sequencesSink.staging.table} (kafka_offset, sequence_hash, sequence, length)
                      SELECT g, md5('S' || g), 'S' || g, length('S' || g) FROM generate_series(1, 500) g`);
  // slonik spells placeholders $slonik_N (lib/copy.ts runSql does the same)
  const text0 = linkStatement!.sql.replaceAll('$slonik_', '$');
  const values = [...linkStatement!.values];
  // executed under EXPLAIN ANALYZE: the plan says how many protein rows each node read
  const plan = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text0}`, values);
  const root = plan.rows[0]!['QUERY PLAN'][0].Plan;
  const scans = nodes(root).filter((n) => n['Relation Name'] === 'protein' && n['Node Type'] !== 'ModifyTable');
  const read = scans.reduce((sum, n) => sum + (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * n['Actual Loops'], 0);
  t.ok(scans.length > 0, 'the plan reads protein');
  t.ok(read <= 2_000, `protein rows read: ${read} (500 to link, of 100,000): ${scans.map((n) => n['Node Type']).join(', ')}`);
  t.notOk(scans.some((n) => n['Node Type'] === 'Seq Scan'), 'no scan of the whole protein table');
  const check = await client.query<{ linked: number; wrong: number }>(`
    SELECT count(*) FILTER (WHERE p.sequence_id IS NOT NULL)::int AS linked,
           count(*) FILTER (WHERE p.sequence_id IS NOT NULL AND s.sequence_hash IS DISTINCT FROM p.sequence_md5)::int AS wrong
      FROM protein p LEFT JOIN sequence s ON s.id = p.sequence_id`);
  t.same(check.rows[0], { linked: 500, wrong: 0 }, 'each linked protein points at the sequence of its MD5, no other protein is touched');
  await client.query('ROLLBACK');
});
