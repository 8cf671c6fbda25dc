// The migrations against a real PostgreSQL: each test on its own fresh database.
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createQueryPool, sql, type DatabasePool } from '../../lib/db.js';
import { MIGRATIONS_DIR, listMigrations, migrate, rollback, status } from '../../lib/migrate.js';
import { freshDatabase } from '../helpers/fresh-database.js';
import { rejection } from '../helpers/rejection.js';

const quiet = { onStep: () => {} };
const NEWEST = listMigrations().at(-1)!.version;

async function withPool<T>(url: string, fn: (pool: DatabasePool) => Promise<T>): Promise<T> {
  const pool = await createQueryPool(url, { maximumPoolSize: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

interface Column { table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: string; column_default: string | null; is_identity: string; character_maximum_length: number | null }

/** A normalised dump of the public schema: columns, constraints, indexes, functions, storage. */
async function catalogue(pool: DatabasePool) {
  const columns = (await pool.any(sql.unsafe`
    SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, is_identity,
           character_maximum_length
      FROM information_schema.columns WHERE table_schema = 'public'
     ORDER BY table_name, column_name`)) as readonly Column[];
  const constraints = await pool.any(sql.unsafe`
    SELECT conrelid::regclass::text AS tbl, conname, contype, pg_get_constraintdef(oid) AS def,
           confdeltype
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`);
  const indexes = await pool.any(sql.unsafe`
    SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`);
  const functions = await pool.any(sql.unsafe`
    SELECT proname, pg_get_functiondef(oid) AS def FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`);
  const storage = await pool.any(sql.unsafe`
    SELECT c.relname, a.attname, a.attstorage::text AS attstorage
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY 1, 2`);
  const relations = await pool.any(sql.unsafe`
    SELECT relname, relkind::text AS relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1`);
  const types = await pool.any(sql.unsafe`
    SELECT typname FROM pg_type t WHERE typnamespace = 'public'::regnamespace AND typtype NOT IN ('c', 'b') ORDER BY 1`);
  return { columns, constraints, indexes, functions, storage, relations, types };
}

const TABLES = [
  'annotation_set', 'api_audit', 'embedding_config', 'evaluation_known', 'evaluation_result', 'evaluation_set', 'evaluation_target', 'go_prediction', 'go_term',
  'go_term_edge_pending', 'go_term_relationship', 'job', 'job_event', 'job_progress_item', 'ontology_snapshot', 'prediction_pending', 'prediction_query', 'prediction_set', 'protein',
  'protein_go_annotation', 'protein_uniprot_metadata', 'query_set', 'query_set_entry', 'query_set_entry_pending',
  'schema_migrations', 'scoring_config', 'sequence', 'sequence_embedding', 'sink_offsets', 'taxonomy',
];

// table -> column -> udt_name (and NOT NULL with '!')
const KEY_COLUMNS: Record<string, Record<string, string>> = {
  sequence: { id: 'int8!', sequence: 'text!', sequence_hash: 'bpchar!', length: 'int4!', created_at: 'timestamptz!', updated_at: 'timestamptz!' },
  protein: {
    accession: 'text!', canonical_accession: 'text!', is_canonical: 'bool!', isoform_index: 'int4', entry_name: 'text', reviewed: 'bool',
    taxonomy_id: 'int4', organism: 'text', gene_name: 'text', length: 'int4', sequence_id: 'int8', created_at: 'timestamptz!', updated_at: 'timestamptz!',
  },
  protein_uniprot_metadata: Object.fromEntries(
    ['function_cc', 'ec_number', 'catalytic_activity', 'cofactor', 'activity_regulation', 'absorption', 'kinetics', 'ph_dependence',
      'redox_potential', 'temperature_dependence', 'pathway', 'active_site', 'binding_site', 'site', 'dna_binding', 'rhea_id', 'keywords', 'features']
      .map((c) => [c, 'text']).concat([['canonical_accession', 'text!']]),
  ),
  taxonomy: { tax_id: 'int4!', parent_tax_id: 'int4!', rank: 'text', scientific_name: 'text' },
  ontology_snapshot: { id: 'uuid!', obo_url: 'text!', obo_version: 'text!', loaded_at: 'timestamptz!' },
  go_term: {
    id: 'int4!', go_id: 'text!', name: 'text', namespace: 'text', aspect: 'bpchar', definition: 'text', is_obsolete: 'bool!',
    alt_ids: '_text!', replaced_by: '_text!', consider: '_text!', ontology_snapshot_id: 'uuid!',
  },
  go_term_relationship: { child_go_term_id: 'int4!', parent_go_term_id: 'int4!', relation_type: 'text!', ontology_snapshot_id: 'uuid!' },
  annotation_set: { id: 'uuid!', source: 'text!', source_version: 'text', ontology_snapshot_id: 'uuid!', job_id: 'uuid', meta: 'jsonb!', created_at: 'timestamptz!' },
  protein_go_annotation: {
    annotation_set_id: 'uuid!', protein_accession: 'text!', go_term_id: 'int4!', qualifier: 'text!', evidence_code: 'text!', assigned_by: 'text!',
    db_reference: 'text!', with_from: 'text!', annotation_date: 'text!', db: 'text!', db_object_symbol: 'text!', aspect: 'bpchar',
    db_object_name: 'text!', synonym: 'text!', db_object_type: 'text!', taxon: 'text!', annotation_extension: 'text!', gene_product_form_id: 'text!',
  },
  embedding_config: {
    id: 'uuid!', model_name: 'text!', model_backend: 'text!', layer_indices: '_int4!', layer_agg: 'text!', pooling: 'text!', normalize: 'bool!',
    normalize_residues: 'bool!', max_length: 'int4!', use_chunking: 'bool!', chunk_size: 'int4!', chunk_overlap: 'int4!', description: 'text', created_at: 'timestamptz!',
    active: 'bool!',
  },
  sequence_embedding: {
    id: 'int8!', sequence_id: 'int8!', embedding_config_id: 'uuid!', embedding: 'bytea!', embedding_dim: 'int4!', chunk_index_s: 'int4!',
    chunk_index_e: 'int4', created_at: 'timestamptz!', backend: 'text', device: 'text', truncated_at: 'int4', job_id: 'uuid',
  },
  query_set: { id: 'uuid!', name: 'text!', description: 'text', created_at: 'timestamptz!' },
  query_set_entry: { id: 'int8!', query_set_id: 'uuid!', accession: 'text!', sequence_id: 'int8!', created_at: 'timestamptz!' },
  prediction_pending: { prediction_set_id: 'uuid!', protein_accession: 'text!', sequence_md5: 'bpchar!', job_id: 'uuid!', requested_at: 'timestamptz!' },
  prediction_query: {
    prediction_set_id: 'uuid!', protein_accession: 'text!', sequence_md5: 'bpchar!', status: 'text!', reason: 'text', neighbours: 'int4!', terms: 'int4!',
    predicted_at: 'timestamptz!',
  },
  prediction_set: {
    id: 'uuid!', embedding_config_id: 'uuid', annotation_set_id: 'uuid', ontology_snapshot_id: 'uuid!', query_set_id: 'uuid',
    limit_per_entry: 'int4', distance_threshold: 'float8', meta: 'jsonb!', job_id: 'uuid', created_at: 'timestamptz!', kind: 'text!', name: 'text',
    scoring_config_id: 'uuid', source_prediction_set_id: 'uuid',
  },
  scoring_config: { id: 'uuid!', name: 'text!', formula: 'text!', weights: 'jsonb!', evidence_weights: 'jsonb', description: 'text', created_at: 'timestamptz!' },
  go_prediction: {
    prediction_set_id: 'uuid!', protein_accession: 'text!', go_term_id: 'int4!', ref_protein_accession: 'text', distance: 'float8', score: 'float8',
    qualifier: 'text', evidence_code: 'text',
    ...Object.fromEntries(['identity', 'similarity', 'alignment_score', 'gaps_pct', 'alignment_length'].flatMap((f) => [[`${f}_nw`, 'float8'], [`${f}_sw`, 'float8']])),
    length_query: 'int4', length_ref: 'int4', query_taxonomy_id: 'int4', ref_taxonomy_id: 'int4', taxonomic_lca: 'int4', taxonomic_distance: 'int4',
    taxonomic_common_ancestors: 'int4', taxonomic_relation: 'text', vote_count: 'int4', k_position: 'int4', go_term_frequency: 'float8',
    ref_annotation_density: 'float8', neighbor_distance_std: 'float8', neighbor_vote_fraction: 'float8', neighbor_min_distance: 'float8',
    neighbor_mean_distance: 'float8',
  },
  evaluation_set: { id: 'uuid!', old_annotation_set_id: 'uuid!', new_annotation_set_id: 'uuid!', ontology_snapshot_id: 'uuid!', stats: 'jsonb!', job_id: 'uuid', created_at: 'timestamptz!' },
  evaluation_result: {
    id: 'uuid!', evaluation_set_id: 'uuid!', prediction_set_id: 'uuid!', scoring_config_id: 'uuid', reranker_model_id: 'uuid', results: 'jsonb!',
    max_distance: 'float8', job_id: 'uuid', created_at: 'timestamptz!',
  },
  evaluation_target: { evaluation_set_id: 'uuid!', category: 'text!', namespace: 'text!', protein_accession: 'text!', go_term_id: 'int4!' },
  evaluation_known: { evaluation_set_id: 'uuid!', namespace: 'text!', protein_accession: 'text!', go_term_id: 'int4!' },
  job: {
    id: 'uuid!', operation: 'text!', queue_name: 'text!', status: 'text!', parent_job_id: 'uuid', payload: 'jsonb!', meta: 'jsonb!', progress_current: 'int4',
    progress_total: 'int4', error_code: 'text', error_message: 'text', description: 'text', findings: 'text', tags: '_text!', created_at: 'timestamptz!',
    started_at: 'timestamptz', finished_at: 'timestamptz',
  },
  job_event: { id: 'int8!', job_id: 'uuid!', event: 'text!', message: 'text', fields: 'jsonb!', level: 'text!', ts: 'timestamptz!' },
  sink_offsets: { sink: 'text!', topic: 'text!', partition: 'int4!', next_offset: 'int8!', updated_at: 'timestamptz!', cluster_id: 'text' },
  schema_migrations: { version: 'int4!', name: 'text!', checksum: 'text!', applied_at: 'timestamptz!' },
};

const NATURAL_KEYS: Record<string, string> = {
  sequence: 'UNIQUE (sequence_hash)',
  ontology_snapshot: 'UNIQUE (obo_version)',
  go_term: 'UNIQUE (ontology_snapshot_id, go_id)',
  go_term_relationship: 'UNIQUE (ontology_snapshot_id, child_go_term_id, parent_go_term_id, relation_type)',
  annotation_set: 'UNIQUE NULLS NOT DISTINCT (source, source_version, ontology_snapshot_id)',
  protein_go_annotation:
    'UNIQUE (annotation_set_id, protein_accession, go_term_id, qualifier, evidence_code, db_reference, with_from, assigned_by, annotation_extension, gene_product_form_id, db)',
  embedding_config:
    'UNIQUE (model_name, model_backend, layer_indices, layer_agg, pooling, "normalize", normalize_residues, max_length, use_chunking, chunk_size, chunk_overlap)',
  sequence_embedding: 'UNIQUE (sequence_id, embedding_config_id, chunk_index_s)',
  query_set_entry: 'UNIQUE (query_set_id, accession)',
  scoring_config: 'UNIQUE (name)',
  go_prediction: 'UNIQUE NULLS NOT DISTINCT (prediction_set_id, protein_accession, go_term_id, ref_protein_accession)',
};

// Access paths of the API: some index on the table must start with these columns.
const ACCESS_PATHS: Array<[string, string[], string?]> = [
  ['protein', ['canonical_accession']], ['protein', ['sequence_id']], ['protein', ['taxonomy_id']],
  ['go_term', ['go_id']], ['go_term', ['alt_ids'], 'gin'],
  ['go_term_relationship', ['child_go_term_id']], ['go_term_relationship', ['parent_go_term_id']],
  ['protein_go_annotation', ['protein_accession']], ['protein_go_annotation', ['go_term_id']],
  ['go_prediction', ['prediction_set_id', 'protein_accession']], ['go_prediction', ['prediction_set_id', 'go_term_id']],
  ['job', ['status', 'created_at']], ['job', ['created_at', 'id']], ['job_event', ['job_id', 'ts']], ['query_set_entry', ['sequence_id']],
  ['sequence_embedding', ['embedding_config_id']], ['sink_offsets', ['sink', 'topic', 'partition']],
  ['prediction_set', ['kind']], ['evaluation_target', ['evaluation_set_id', 'category']], ['evaluation_known', ['evaluation_set_id']],
  // 0016: a protein's predictions across sets (GET /proteins/ACCESSION/predictions)
  ['go_prediction', ['protein_accession', 'prediction_set_id', 'go_term_id']],
];

t.test('up, down, up: the full schema, then nothing, then the same schema again', async (t) => {
  const url = await freshDatabase(t);
  const first = await migrate(url, quiet);
  t.same(first.applied.map((s) => s.version), listMigrations().map((f) => f.version), 'every migration applied in order');
  t.equal(first.version, NEWEST);

  await withPool(url, async (pool) => {
    const snap = await catalogue(pool);
    const tables = snap.relations.filter((r) => r.relkind === 'r').map((r) => r.relname);
    t.same(tables, TABLES, 'exactly the expected tables');

    const cols = new Map(snap.columns.map((c) => [`${c.table_name}.${c.column_name}`, c]));
    for (const [table, expected] of Object.entries(KEY_COLUMNS)) {
      for (const [column, type] of Object.entries(expected)) {
        const c = cols.get(`${table}.${column}`);
        t.ok(c, `${table}.${column} exists`);
        if (!c) continue;
        t.equal(`${c.udt_name}${c.is_nullable === 'NO' ? '!' : ''}`, type, `${table}.${column} is ${type}`);
      }
    }
    t.equal(cols.get('sequence.sequence_hash')?.character_maximum_length, 32, 'sequence_hash is char(32)');
    t.equal(cols.get('sequence_embedding.chunk_index_s')?.column_default, '0');
    t.equal(snap.storage.find((s) => s.relname === 'sequence_embedding' && s.attname === 'embedding')?.attstorage, 'e', 'embedding stored EXTERNAL');

    // every uuid primary key defaults to protea_uuid_v7()
    const uuidPks = snap.columns.filter((c) => c.column_name === 'id' && c.udt_name === 'uuid');
    t.ok(uuidPks.length >= 8, `${uuidPks.length} uuid ids`);
    for (const c of uuidPks) t.equal(c.column_default, 'protea_uuid_v7()', `${c.table_name}.id default`);

    const defs = new Map(snap.constraints.map((c) => [`${c.tbl}:${c.def}`, c]));
    for (const [table, def] of Object.entries(NATURAL_KEYS)) t.ok(defs.has(`${table}:${def}`), `${table} ${def}`);
    t.ok(defs.has('sink_offsets:PRIMARY KEY (sink, topic, partition)'), 'sink_offsets primary key');
    t.ok(defs.has("job:CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'cancelled'::text])))"), 'job status check');

    // foreign keys and what deleting the parent does (a: no action, r: restrict, c: cascade, n: set null)
    const fk = (table: string, col: string, ref: string) =>
      snap.constraints.find((c) => c.tbl === table && c.contype === 'f' && String(c.def).startsWith(`FOREIGN KEY (${col}) REFERENCES ${ref}`))?.confdeltype;
    t.equal(fk('job_event', 'job_id', 'job(id)'), 'c');
    t.equal(fk('job', 'parent_job_id', 'job(id)'), 'n');
    t.equal(fk('protein', 'sequence_id', 'sequence(id)'), 'n');
    t.equal(fk('go_term', 'ontology_snapshot_id', 'ontology_snapshot(id)'), 'c');
    t.equal(fk('protein_go_annotation', 'annotation_set_id', 'annotation_set(id)'), 'c');
    t.equal(fk('protein_go_annotation', 'go_term_id', 'go_term(id)'), 'r');
    t.equal(fk('sequence_embedding', 'sequence_id', 'sequence(id)'), 'c');
    t.equal(fk('go_prediction', 'prediction_set_id', 'prediction_set(id)'), 'c');
    t.equal(fk('prediction_set', 'query_set_id', 'query_set(id)'), 'n');
    t.equal(fk('evaluation_result', 'evaluation_set_id', 'evaluation_set(id)'), 'c');
    t.equal(fk('evaluation_target', 'evaluation_set_id', 'evaluation_set(id)'), 'c');
    t.equal(fk('evaluation_target', 'go_term_id', 'go_term(id)'), 'r');
    t.equal(fk('evaluation_known', 'evaluation_set_id', 'evaluation_set(id)'), 'c');
    t.equal(fk('prediction_set', 'scoring_config_id', 'scoring_config(id)'), 'r', 'a recipe in use is not deleted');
    t.equal(fk('prediction_set', 'source_prediction_set_id', 'prediction_set(id)'), 'c', 'a scored set goes with its source');
    t.equal(fk('evaluation_result', 'scoring_config_id', 'scoring_config(id)'), 'r');

    // KNN prediction sets keep their recipe required; imported ones and baselines need none
    const snapshot = await pool.oneFirst(sql.unsafe`INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('t.obo', 'v-kinds') RETURNING id`);
    const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => e);
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id) VALUES (${snapshot})`)),
      { constraint: 'prediction_set_knn_recipe_check' }, 'a knn set without embedding config, annotation set and k is refused');
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id, kind) VALUES (${snapshot}, 'other')`)),
      { constraint: 'prediction_set_kind_check' }, 'an unknown kind is refused');
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id, kind) VALUES (${snapshot}, 'identity')`)),
      { constraint: 'prediction_set_identity_recipe_check' }, 'an identity set without annotation set and k is refused');
    const imported = await pool.oneFirst(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id, kind, name) VALUES (${snapshot}, 'imported', 'p') RETURNING id`);
    const term = await pool.oneFirst(sql.unsafe`INSERT INTO go_term (ontology_snapshot_id, go_id) VALUES (${snapshot}, 'GO:1') RETURNING id`);
    await pool.query(sql.unsafe`INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, score) VALUES (${imported}, 'P1', ${term}, 0.5)`);
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO go_prediction (prediction_set_id, protein_accession, go_term_id, score) VALUES (${imported}, 'P1', ${term}, 0.7)`)),
      { constraint: 'go_prediction_natural_key' }, 'one imported prediction per (set, protein, term) although it has no reference protein');
    // 0017: a scored set names its recipe and its source; other kinds name neither; one scored set per (source, recipe)
    const preset = await pool.oneFirst(sql.unsafe`SELECT id FROM scoring_config WHERE name = 'embedding'`);
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id, kind) VALUES (${snapshot}, 'scored')`)),
      { constraint: 'prediction_set_scored_check' }, 'a scored set without recipe and source is refused');
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id, kind, scoring_config_id) VALUES (${snapshot}, 'imported', ${preset})`)),
      { constraint: 'prediction_set_scored_check' }, 'an imported set with a recipe is refused');
    await pool.query(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id, kind, scoring_config_id, source_prediction_set_id) VALUES (${snapshot}, 'scored', ${preset}, ${imported})`);
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO prediction_set (ontology_snapshot_id, kind, scoring_config_id, source_prediction_set_id) VALUES (${snapshot}, 'scored', ${preset}, ${imported})`)),
      { constraint: 'prediction_set_scored_key' }, 'the same source and recipe twice is refused');
    t.match(await refusal(pool.query(sql.unsafe`DELETE FROM scoring_config WHERE id = ${preset}`)), { constraint: 'prediction_set_scoring_config_id_fkey' }, 'a recipe in use stays');
    t.same(await pool.anyFirst(sql.unsafe`SELECT name FROM scoring_config ORDER BY name`), ['alignment-weighted', 'embedding', 'evidence-weighted'], 'the presets');
    t.match(await refusal(pool.query(sql.unsafe`INSERT INTO scoring_config (name, formula, weights) VALUES ('x', 'cubic', '{}')`)),
      { constraint: 'scoring_config_formula_check' }, 'an unknown formula is refused');
    await pool.query(sql.unsafe`DELETE FROM prediction_set WHERE id = ${imported}`);
    t.equal(Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM prediction_set`)), 0, 'deleting the source deleted its scored set');
    await pool.query(sql.unsafe`DELETE FROM ontology_snapshot WHERE id = ${snapshot}`);

    const indexCols = await pool.any(sql.unsafe`
      SELECT tc.relname AS tbl, am.amname AS method,
             array(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = tc.oid AND a.attnum = k.attnum ORDER BY k.ord) AS cols
        FROM pg_index ix JOIN pg_class ic ON ic.oid = ix.indexrelid JOIN pg_class tc ON tc.oid = ix.indrelid
        JOIN pg_am am ON am.oid = ic.relam
       WHERE tc.relnamespace = 'public'::regnamespace`);
    for (const [table, want, method = 'btree'] of ACCESS_PATHS) {
      const hit = indexCols.find((i) => i.tbl === table && i.method === method && want.every((c, k) => i.cols[k] === c));
      t.ok(hit, `${method} index on ${table}(${want.join(', ')})`);
    }
    // 0016: GET /proteins?q= prefix matches (LIKE 'PREFIX%' whatever the collation)
    const defsOf = new Map(snap.indexes.map((i) => [String(i.indexname), String(i.indexdef)]));
    t.match(defsOf.get('protein_accession_pattern_idx'), /\(accession text_pattern_ops\)/, 'accession prefix index');
    t.match(defsOf.get('protein_entry_name_pattern_idx'), /\(lower\(entry_name\) text_pattern_ops\)/, 'entry name prefix index');
    t.match(defsOf.get('protein_gene_name_pattern_idx'), /\(lower\(gene_name\) text_pattern_ops\)/, 'gene name prefix index');

    // UUIDv7: version 7, RFC variant, the current time in the first 48 bits, time order = sort order
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(String(await pool.oneFirst(sql.unsafe`SELECT protea_uuid_v7()::text`)));
      await new Promise((r) => setTimeout(r, 3)); // ids minted in different milliseconds: time order = sort order is then checkable
    }
    for (const id of ids) {
      t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `${id} is a v7 uuid`);
      const ms = Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
      t.ok(Math.abs(ms - Date.now()) < 60_000, 'timestamp is now');
    }
    t.same([...ids].sort(), ids, 'ids sort by creation time');
    t.equal(new Set(ids).size, ids.length, 'distinct');
    const many = await pool.oneFirst(sql.unsafe`SELECT count(DISTINCT protea_uuid_v7()) FROM generate_series(1, 10000)`);
    t.equal(Number(many), 10000, '10k ids within a few ms are distinct');
    const jobId = await pool.oneFirst(sql.unsafe`INSERT INTO job (operation, queue_name) VALUES ('ping', 'protea.jobs.events') RETURNING id::text`);
    t.match(String(jobId), /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a new job gets a v7 id');
    const jobStatus = await pool.oneFirst(sql.unsafe`SELECT status FROM job WHERE id = ${String(jobId)}`);
    t.equal(jobStatus, 'queued');
    await pool.query(sql.unsafe`DELETE FROM job`);

    // down: nothing of the project left
    const down = await rollback(url, { to: 0, ...quiet });
    t.same(down.rolledBack.map((s) => s.version), listMigrations().map((f) => f.version).reverse(), 'every migration reverted, newest first');
    t.equal(down.version, 0);
    const empty = await catalogue(pool);
    t.same(empty.relations.map((r) => `${r.relname}:${r.relkind}`), ['schema_migrations:r', 'schema_migrations_pkey:i'], 'only schema_migrations is left');
    t.same(empty.functions, [], 'no function left');
    t.same(empty.types, [], 'no type left');
    t.equal(Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM schema_migrations`)), 0, 'bookkeeping empty');

    // up again: the same catalogue
    const again = await migrate(url, quiet);
    t.equal(again.applied.length, NEWEST);
    t.same(await catalogue(pool), snap, 'second up gives the same catalogue as the first');
  });
});

t.test('the natural keys make re-ingesting idempotent and keep distinct lines apart', async (t) => {
  const url = await freshDatabase(t, { migrate: true });
  await withPool(url, async (pool) => {
    const snapshot = await pool.oneFirst(sql.unsafe`
      INSERT INTO ontology_snapshot (obo_url, obo_version) VALUES ('file:go.obo', 'releases/2024-01-17') RETURNING id`);
    const term = await pool.oneFirst(sql.unsafe`
      INSERT INTO go_term (ontology_snapshot_id, go_id, name, namespace, aspect) VALUES (${String(snapshot)}, 'GO:0003674', 'molecular_function', 'molecular_function', 'F') RETURNING id`);
    // a NULL source_version is still one annotation set
    for (let i = 0; i < 2; i++) {
      await pool.query(sql.unsafe`
        INSERT INTO annotation_set (source, ontology_snapshot_id) VALUES ('goa', ${String(snapshot)})
        ON CONFLICT ON CONSTRAINT annotation_set_natural_key DO NOTHING`);
    }
    t.equal(Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM annotation_set`)), 1);
    const set = String(await pool.oneFirst(sql.unsafe`SELECT id FROM annotation_set`));
    const row = async (evidence: string, withFrom = '') =>
      pool.query(sql.unsafe`
        INSERT INTO protein_go_annotation (annotation_set_id, protein_accession, go_term_id, db, qualifier, db_reference, evidence_code, with_from, assigned_by, annotation_date)
        VALUES (${set}, 'P12345', ${Number(term)}, 'UniProtKB', 'enables', 'PMID:1', ${evidence}, ${withFrom}, 'UniProt', '20240101')
        ON CONFLICT ON CONSTRAINT protein_go_annotation_natural_key DO NOTHING`);
    await row('IDA');
    await row('IDA');
    t.equal(Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM protein_go_annotation`)), 1, 'the same GAF row twice is one row');
    await row('IEA');
    await row('IDA', 'UniProtKB:Q9');
    t.equal(Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM protein_go_annotation`)), 3, 'other evidence, other with/from: other rows');

    // sequence_embedding: the byte length must match the dimension
    const seq = await pool.oneFirst(sql.unsafe`
      INSERT INTO sequence (sequence, sequence_hash, length) VALUES ('MKV', md5('MKV'), 3) RETURNING id`);
    const cfg = await pool.oneFirst(sql.unsafe`
      INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size) VALUES ('kmer3', 'kmer', 1022, 512) RETURNING id`);
    const again = await pool.maybeOneFirst(sql.unsafe`
      INSERT INTO embedding_config (model_name, model_backend, max_length, chunk_size, description) VALUES ('kmer3', 'kmer', 1022, 512, 'same recipe')
      ON CONFLICT ON CONSTRAINT embedding_config_natural_key DO NOTHING RETURNING id`);
    t.equal(again, null, 'the same recipe is one embedding_config');
    await pool.query(sql.unsafe`
      INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim)
      VALUES (${Number(seq)}, ${String(cfg)}, ${sql.binary(Buffer.alloc(16))}, 4)`);
    await t.rejects(
      pool.query(sql.unsafe`
        INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim, chunk_index_s)
        VALUES (${Number(seq)}, ${String(cfg)}, ${sql.binary(Buffer.alloc(12))}, 4, 10)`),
      { message: /check integrity constraint/, constraint: 'sequence_embedding_dim_check' },
      '12 bytes are not 4 float32',
    );
  });
});

t.test('status after a partial migrate, then step-wise rollback', async (t) => {
  const url = await freshDatabase(t);
  const before = await status(url);
  t.ok(before.every((r) => !r.applied && r.appliedAt === null), 'an empty database: all pending');
  t.equal(before.length, NEWEST);

  const partial = await migrate(url, { to: 2, ...quiet });
  t.same(partial.applied.map((s) => s.name), ['foundation', 'proteins']);
  const rows = await status(url);
  t.same(rows.map((r) => [r.version, r.applied]), listMigrations().map((f) => [f.version, f.version <= 2]));
  t.ok(rows[0]!.appliedAt instanceof Date && Math.abs(rows[0]!.appliedAt.getTime() - Date.now()) < 60_000, 'applied_at recorded');
  t.ok(rows.every((r) => !r.checksumMismatch && !r.missing));

  const more = await migrate(url, { to: 3, ...quiet });
  t.same(more.applied.map((s) => s.version), [3]);
  await t.rejects(migrate(url, { to: 1, ...quiet }), { key: 'USAGE', message: /at version 3, above --to 1/ }, 'migrate does not go down');
  await t.rejects(migrate(url, { to: NEWEST + 1, ...quiet }), { key: 'USAGE', message: /expected a version between 0 and/ });
  await t.rejects(rollback(url, { steps: 1, to: 1, ...quiet }), { key: 'USAGE', message: /either --steps or --to/ });

  const one = await rollback(url, quiet);
  t.same(one.rolledBack.map((s) => s.version), [3], 'rollback defaults to one step');
  t.equal(one.version, 2);
  const two = await rollback(url, { steps: 5, ...quiet });
  t.same(two.rolledBack.map((s) => s.version), [2, 1], 'more steps than applied: all of them');
  t.same(await rollback(url, quiet).then((r) => r.rolledBack), [], 'nothing left to roll back');
  t.ok((await status(url)).every((r) => !r.applied));
});

t.test('re-running migrate is a no-op', async (t) => {
  const url = await freshDatabase(t);
  await migrate(url, quiet);
  const recorded = await withPool(url, (pool) => pool.any(sql.unsafe`SELECT version, applied_at FROM schema_migrations ORDER BY version`));
  const lines: string[] = [];
  const second = await migrate(url, { onStep: (l) => lines.push(l) });
  t.same(second.applied, []);
  t.equal(second.version, NEWEST);
  t.same(lines, [], 'nothing reported');
  t.same(await withPool(url, (pool) => pool.any(sql.unsafe`SELECT version, applied_at FROM schema_migrations ORDER BY version`)), recorded, 'bookkeeping untouched');
});

t.test('two migrators at once: one applies, the other waits and finds nothing to do', async (t) => {
  const url = await freshDatabase(t);
  const [a, b] = await Promise.all([migrate(url, quiet), migrate(url, quiet)]);
  t.same([a.applied.length, b.applied.length].sort((x, y) => x - y), [0, NEWEST]);
  t.equal(a.version, NEWEST);
  t.equal(b.version, NEWEST);
});

/** A temp migrations folder: the real 0001 and 0002, plus the given files. */
function folder(t: Test, extra: Record<string, string>): string {
  const dir = t.testdir(extra);
  for (const f of listMigrations().slice(0, 2)) {
    copyFileSync(f.upFile, path.join(dir, path.basename(f.upFile)));
    copyFileSync(f.downFile, path.join(dir, path.basename(f.downFile)));
  }
  return dir;
}

t.test('a failing migration rolls back completely and names the file', async (t) => {
  const url = await freshDatabase(t);
  const dir = folder(t, {
    '0003_bad.up.sql': 'CREATE TABLE bad_one (id int);\nINSERT INTO bad_one VALUES (1);\nCREATE TABLE bad_two (id no_such_type);\n',
    '0003_bad.down.sql': 'DROP TABLE bad_two;\nDROP TABLE bad_one;\n',
  });
  const e = await rejection(t, migrate(url, { dir, ...quiet }));
  t.equal(e.key, 'MIGRATION_FAILED');
  t.match(e.message, /^0003_bad\.up\.sql: type "no_such_type" does not exist/);
  t.equal(e.context.file, path.join(dir, '0003_bad.up.sql'));
  t.equal(e.context.line, 3, 'the line of the failing statement');
  t.equal(e.context.sqlstate, '42704');
  t.match(e.describe(), /PROTEA_ERR_MIGRATION_FAILED: 0003_bad\.up\.sql: .*file=.*0003_bad\.up\.sql line=3/s);

  await withPool(url, async (pool) => {
    t.equal(await pool.maybeOneFirst(sql.unsafe`SELECT to_regclass('bad_one')::text`), null, 'the first statement of the failed file is rolled back');
    t.same(await pool.anyFirst(sql.unsafe`SELECT version FROM schema_migrations ORDER BY version`), [1, 2], 'the files before it stay applied');
  });
  t.same((await status(url, { dir })).map((r) => r.applied), [true, true, false]);

  // a failing down migration also rolls back and leaves the version applied
  writeFileSync(path.join(dir, '0003_bad.up.sql'), 'CREATE TABLE bad_one (id int);\n');
  writeFileSync(path.join(dir, '0003_bad.down.sql'), 'DROP TABLE bad_one;\nSELECT no_such_column FROM pg_class;\n');
  t.same((await migrate(url, { dir, ...quiet })).applied.map((s) => s.version), [3]);
  const d = await rejection(t, rollback(url, { dir, ...quiet }));
  t.match(d.message, /^0003_bad\.down\.sql: column "no_such_column" does not exist/);
  t.equal(d.context.line, 2);
  t.match(d.hint, /still at version 3/);
  await withPool(url, async (pool) => {
    t.equal(await pool.maybeOneFirst(sql.unsafe`SELECT to_regclass('bad_one')::text`), 'bad_one', 'the down file is rolled back');
    t.same(await pool.anyFirst(sql.unsafe`SELECT version FROM schema_migrations ORDER BY version`), [1, 2, 3]);
  });
});

t.test('a file edited after it was applied is reported', async (t) => {
  const url = await freshDatabase(t);
  const dir = folder(t, {});
  await migrate(url, { dir, ...quiet });
  writeFileSync(path.join(dir, '0002_proteins.up.sql'), `${listMigrations()[1]!.upSql}\n-- edited\n`);
  const rows = await status(url, { dir });
  t.same(rows.map((r) => r.checksumMismatch), [false, true]);
  const lines: string[] = [];
  const result = await migrate(url, { dir, onStep: (l) => lines.push(l) });
  t.same(result.checksumMismatches, [2]);
  t.match(lines.join('\n'), /0002_proteins\.up\.sql changed after it was applied/);
});

t.test('a migration applied but absent from the checkout: MIGRATION_MISSING', async (t) => {
  const url = await freshDatabase(t);
  const full = folder(t, { '0003_extra.up.sql': 'CREATE TABLE extra (id int);\n', '0003_extra.down.sql': 'DROP TABLE extra;\n' });
  await migrate(url, { dir: full, ...quiet });
  const older = folder(t, {});
  const e = await rejection(t, migrate(url, { dir: older, ...quiet }));
  t.equal(e.key, 'MIGRATION_MISSING');
  t.match(e.message, /0003_extra/);
  t.equal((await rejection(t, rollback(url, { dir: older, ...quiet }))).key, 'MIGRATION_MISSING');
  const rows = await status(url, { dir: older });
  t.same(rows.map((r) => [r.version, r.name, r.applied, r.missing]), [[1, 'foundation', true, false], [2, 'proteins', true, false], [3, 'extra', true, true]]);
});

t.test('an unreachable database is DB_UNAVAILABLE, not a migration failure', async (t) => {
  const e = await rejection(t, status('postgres://postgres@127.0.0.1:1/protea'));
  t.equal(e.key, 'DB_UNAVAILABLE');
});

t.test('the checkout folder is the default', async (t) => {
  t.equal(MIGRATIONS_DIR, path.join(path.dirname(path.dirname(path.dirname(new URL(import.meta.url).pathname))), 'sql'));
});
