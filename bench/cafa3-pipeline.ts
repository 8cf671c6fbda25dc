// The CAFA3 workload on the real pipeline, shared by bench/cafa3-loo.ts and
// bench/enricher.ts: a fresh database and topic namespace, every stage from
// dedup to the predictions sink in this process, the k-mer embedding config
// active, and the flat release, the ground-truth annotations and the targets
// produced and waited for until every row and embedding has landed.
import { rm } from 'node:fs/promises';
import { adminQuery, withQueryPool } from '../lib/db.js';
import { createEmbeddingConfig, type EmbeddingConfigRow } from '../lib/queries/embedding-configs.js';
import { TopicProducer } from '../lib/topic-producer.js';
import { startStages, type RunningStage } from '../pipeline/stages.js';
import { recipeFromInput } from '../processors/embedder/recipe.js';
import { fastaRun, gafRun, oboRun } from '../topics/ingest-runs.js';
import { produce } from '../topics/produce.js';
import { FLAT_OBO_VERSION, readText, type Cafa3Inputs } from './cafa3-inputs.js';
import { freshDatabase, freshNamespace, until, type FreshDatabase, type FreshNamespace } from './common.js';

export interface Cafa3Pipeline {
  db: FreshDatabase;
  ns: FreshNamespace;
  producer: TopicProducer;
  /** the k-mer embedding config the targets were embedded under */
  kmer: EmbeddingConfigRow;
  /** ground-truth annotation rows landed */
  gafRows: number;
  loadSeconds: number;
  q<R>(text: string, values?: unknown[]): Promise<R[]>;
  /** stops every stage (idempotent): what runs next runs alone */
  stopStages(reason?: string): Promise<void>;
  /** stops the stages and the producer; drops the database, the topics and `dir` (the caller's inputs) unless `keep` */
  close(opts: { keep?: boolean; dir?: string }): Promise<void>;
}

const STAGES = ['dedup', 'embedder', 'predictor', 'enricher', 'sink:sequences', 'sink:proteins', 'sink:jobs', 'sink:ontology', 'sink:annotations', 'sink:query_sets', 'sink:embeddings', 'sink:predictions'];

export async function startCafa3Pipeline(inputs: Cafa3Inputs, opts: { kmerModel?: string; timeoutMs?: number } = {}): Promise<Cafa3Pipeline> {
  const db = await freshDatabase();
  const ns = await freshNamespace();
  let stages: RunningStage[] = await startStages(STAGES, { namespace: ns.namespace, dbUrl: db.url });
  const producer = new TopicProducer();
  const q = <R>(text: string, values: unknown[] = []) => adminQuery<R>(db.url, text, values);
  const stopStages = async (reason?: string) => {
    await Promise.allSettled(stages.map((s) => s.stop(reason)));
    stages = [];
  };
  const close = async ({ keep, dir }: { keep?: boolean; dir?: string }) => {
    await producer.disconnect().catch(() => undefined);
    await stopStages();
    if (!keep) {
      await ns.drop();
      await db.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    } else console.log(`kept: database ${db.name}, namespace ${ns.namespace}${dir ? `, files ${dir}` : ''}`);
  };
  try {
    const kmer = await withQueryPool(async (pool) => (await createEmbeddingConfig(pool, recipeFromInput(opts.kmerModel ? { model: opts.kmerModel } : {}), { active: true })).row, db.url);
    const t0 = Date.now();
    await produce(oboRun(inputs.obo, { version: FLAT_OBO_VERSION }), { producer, namespace: ns.namespace, progress: null });
    await until('the flat release', () => q<{ n: number }>('SELECT count(*)::int AS n FROM go_term'), (r) => r[0]!.n === inputs.terms, opts.timeoutMs);
    await produce(gafRun(inputs.gaf, { source: 'cafa3-groundtruth', version: '1', ontology: FLAT_OBO_VERSION }), { producer, namespace: ns.namespace, progress: null });
    await produce(fastaRun(inputs.fasta, { source: 'cafa', querySet: 'cafa3-targets' }), { producer, namespace: ns.namespace, progress: null });
    const gafRows = (await readText(inputs.gaf)).split('\n').filter((l) => l && !l.startsWith('!')).length;
    await until('annotations, query set and embeddings', () => q<{ a: number; e: number; s: number }>(`
        SELECT (SELECT count(*) FROM protein_go_annotation)::int AS a, (SELECT count(*) FROM query_set_entry)::int AS e,
               (SELECT count(DISTINCT sequence_id) FROM sequence_embedding WHERE embedding_config_id = $1)::int AS s`, [kmer.id]),
      (r) => r[0]!.a === gafRows && r[0]!.e === inputs.targets.length && r[0]!.s === new Set(inputs.targets).size, opts.timeoutMs);
    return { db, ns, producer, kmer, gafRows, loadSeconds: (Date.now() - t0) / 1000, q, stopStages, close };
  } catch (err) {
    await close({}).catch(() => undefined);
    throw err;
  }
}
