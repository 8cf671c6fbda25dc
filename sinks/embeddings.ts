// protea.embeddings -> sequence_embedding (one row per sequence, config and
// chunk start; the vector as float32 little-endian bytea), by binary COPY: no
// hex doubling of the bytes on the way in (DESIGN.md: ~2.2x real[]).
//
// The embedder and the sequences sink both read protea.sequences, so an
// embedding can arrive before its sequence row: such a record is not the
// record's fault (SEQUENCE_PENDING, disposition retry): the transaction rolls
// back and the partition waits until the sequence has landed. An embedding of
// a config that does not exist (deleted since) is dead-lettered with the
// reason.
//
// A recipe is immutable, so a (sequence, config, chunk) has one vector: the
// first to land stays (ON CONFLICT DO NOTHING); a redelivery or a second replay
// changes nothing.
import { sql } from '../lib/db.js';
import { ProteaError } from '../lib/errors.js';
import type { EmbeddingRecord } from '../schemas/generated/types.js';
import type { SinkMapping } from './runner.js';

const MD5 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const embeddingsSink: SinkMapping<EmbeddingRecord> = {
  name: 'embeddings',
  topic: 'embeddings',
  staging: {
    table: 'sink_stage_embedding',
    columns: `sequence_md5 text, embedding_config_id uuid, embedding bytea, embedding_dim integer, chunk_index_s integer,
              chunk_index_e integer, backend text, device text, truncated_at integer, job_id uuid`,
  },
  columns: ['sequence_md5', 'embedding_config_id', 'embedding', 'embedding_dim', 'chunk_index_s', 'chunk_index_e', 'backend', 'device', 'truncated_at', 'job_id'],
  binaryTypes: ['text', 'uuid', 'bytea', 'int4', 'int4', 'int4', 'text', 'text', 'int4', 'uuid'],
  toRow(r) {
    const bad = (field: string, why: string) => new ProteaError('SINK_WRITE_FAILED', `${field}: ${why}`, { field });
    if (!MD5.test(r.sequence_md5)) throw bad('sequence_md5', `${JSON.stringify(r.sequence_md5)} is not an MD5 (32 lower-case hex digits)`);
    if (!UUID.test(r.embedding_config_id)) throw bad('embedding_config_id', `${JSON.stringify(r.embedding_config_id)} is not a UUID`);
    if (!(r.dim > 0) || r.vector.length !== 4 * r.dim) throw bad('vector', `${r.vector.length} bytes for dim ${r.dim} (expected 4 x dim float32 bytes)`);
    if (r.chunk_index_s < 0 || (r.chunk_index_e !== null && r.chunk_index_e <= r.chunk_index_s)) throw bad('chunk_index_e', `chunk [${r.chunk_index_s}, ${r.chunk_index_e}) is empty or negative`);
    if (r.device !== 'cpu' && r.device !== 'cuda') throw bad('device', `${JSON.stringify(r.device)} is neither cpu nor cuda`);
    return [r.sequence_md5, r.embedding_config_id, r.vector, r.dim, r.chunk_index_s, r.chunk_index_e, r.backend, r.device, r.truncated_at, r.job_id];
  },
  rejects: sql.unsafe`
    SELECT st.kafka_offset,
           CASE WHEN c.id IS NULL THEN 'embedding config ' || st.embedding_config_id || ' does not exist'
                ELSE 'sequence ' || st.sequence_md5 || ' has not landed yet' END AS reason,
           CASE WHEN c.id IS NULL THEN 'embedding_config_id' ELSE 'sequence_md5' END AS field,
           CASE WHEN c.id IS NULL THEN 'SINK_WRITE_FAILED' ELSE 'SEQUENCE_PENDING' END AS code
      FROM sink_stage_embedding st
      LEFT JOIN embedding_config c ON c.id = st.embedding_config_id
      LEFT JOIN sequence s ON s.sequence_hash = st.sequence_md5
     WHERE c.id IS NULL OR s.id IS NULL`,
  merge: [
    sql.unsafe`
      INSERT INTO sequence_embedding (sequence_id, embedding_config_id, embedding, embedding_dim, chunk_index_s, chunk_index_e,
                                      backend, device, truncated_at, job_id)
      SELECT DISTINCT ON (s.id, st.embedding_config_id, st.chunk_index_s)
             s.id, st.embedding_config_id, st.embedding, st.embedding_dim, st.chunk_index_s, st.chunk_index_e,
             st.backend, st.device, st.truncated_at, st.job_id
        FROM sink_stage_embedding st JOIN sequence s ON s.sequence_hash = st.sequence_md5
       ORDER BY s.id, st.embedding_config_id, st.chunk_index_s, st.kafka_offset DESC
      ON CONFLICT ON CONSTRAINT sequence_embedding_natural_key DO NOTHING`,
  ],
  jobId: (r) => r.job_id,
};
