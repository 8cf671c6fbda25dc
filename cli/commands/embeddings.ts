// protea embeddings config create|list|show|activate|deactivate, and
// protea replay embeddings --config ID. Recipes are checked by
// processors/embedder/recipe.ts, stored by lib/queries/embedding-configs.ts;
// the replay is processors/embedder/replay.ts.
import type { Command } from 'commander';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import type { EmbeddingConfigRow } from '../../lib/queries/embedding-configs.js';
import { BACKENDS, DEFAULT_KMER_MODEL, LAYER_AGGS, POOLINGS, recipeFromInput, type RecipeInput } from '../../processors/embedder/recipe.js';
import { registerEmbeddingsExport } from './embeddings-export.js';

const queries = async () => {
  const [{ createQueryPool, withQueryPool }, configs, { embeddingCounts }] = await Promise.all([
    import('../../lib/db.js'),
    import('../../lib/queries/embedding-configs.js'),
    import('../../lib/queries/sequence-embeddings.js'),
  ]);
  return { createQueryPool, withQueryPool, embeddingCounts, ...configs };
};

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function recipeLine(c: EmbeddingConfigRow): string {
  const chunks = c.use_chunking ? `chunks ${c.chunk_size}/${c.chunk_overlap}` : 'no chunking';
  return `${c.model_backend}:${c.model_name} layers ${c.layer_indices.join(',')} ${c.layer_agg} pool ${c.pooling}${c.normalize_residues ? ' res-norm' : ''}${c.normalize ? ' L2' : ''} max ${c.max_length} ${chunks}`;
}

function describe(c: EmbeddingConfigRow): string {
  return [
    `embedding config ${c.id}`,
    `  status          ${c.active ? 'active' : 'inactive'}`,
    `  model           ${c.model_name} (backend ${c.model_backend})`,
    `  layers          ${c.layer_indices.join(',')} (reverse: 0 = last), aggregated by ${c.layer_agg}`,
    `  pooling         ${c.pooling}`,
    `  normalisation   residues ${c.normalize_residues ? 'L2' : 'none'}, vector ${c.normalize ? 'L2' : 'none'}`,
    `  max length      ${c.max_length} residues`,
    `  chunking        ${c.use_chunking ? `${c.chunk_size} residues, overlap ${c.chunk_overlap}` : 'off'}`,
    `  description     ${c.description ?? ''}`,
    `  created         ${when(c.created_at)}`,
  ].join('\n');
}

interface CreateFlags extends RecipeInput {
  inactive?: boolean;
  json?: boolean;
}

export function registerEmbeddings(program: Command): void {
  const embeddings = program.command('embeddings').description('embedding configs (recipes) and their vectors');
  registerEmbeddingsExport(embeddings);
  embeddings
    .command('model')
    .description('ONNX models')
    .command('generate')
    .description('write a small ESM-shaped ONNX model with deterministic random weights and its model card (for tests, benchmarks and trying the ONNX path; not a protein language model)')
    .option('--out <dir>', 'folder to write <name>.onnx and <name>.json into (default PROTEA_MODELS_DIR)')
    .option('--layers <n>', 'transformer layers (ESM-2 650M: 33)', '6')
    .option('--hidden <n>', 'hidden size (ESM-2 650M: 1280)', '320')
    .option('--tokenizer <kind>', 'esm | t5', 'esm')
    .option('--max-length <n>', "the card's maximum residues", '1022')
    .option('--seed <n>', 'seed of the weights', '1')
    .option('--name <name>', 'file name without extension (default test-<tokenizer>-l<layers>-h<hidden>-random-s<seed>)')
    .action(async (flags: { out?: string; layers: string; hidden: string; tokenizer: string; maxLength: string; seed: string; name?: string }) => {
      const int = (flag: string, raw: string) => {
        if (!/^\d+$/.test(raw)) throw new ProteaError('USAGE', `${flag} ${raw}: expected a non-negative integer`, { field: flag });
        return Number(raw);
      };
      if (flags.tokenizer !== 'esm' && flags.tokenizer !== 't5') throw new ProteaError('USAGE', `--tokenizer ${flags.tokenizer}: expected esm or t5`, { field: '--tokenizer' });
      const { writeTestModel } = await import('../../processors/embedder/test-model.js');
      const written = await writeTestModel(flags.out ?? config().modelsDir, {
        layers: int('--layers', flags.layers), hidden: int('--hidden', flags.hidden), tokenizer: flags.tokenizer, maxLength: int('--max-length', flags.maxLength), seed: int('--seed', flags.seed),
        ...(flags.name ? { name: flags.name } : {}),
      });
      console.log(`wrote ${written.onnxPath} (${(written.bytes / 1e6).toFixed(1)} MB) and ${written.cardPath}; use it with --backend esm --model ${flags.out ? written.onnxPath : written.name}`);
    });

  const cfg = embeddings.command('config').description('create, list, show, activate and deactivate embedding configs');

  cfg
    .command('create')
    .description('create an embedding config (immutable: the same recipe again prints the existing id); active unless --inactive. Prints the id on its last line.')
    .option('--model <name>', `model name: a k-mer representation (default ${DEFAULT_KMER_MODEL}) or an ONNX model under PROTEA_MODELS_DIR (<name>.onnx + <name>.json) or a path to a .onnx`)
    .option('--backend <kind>', `${BACKENDS.join(' | ')} (auto = esm)`, 'kmer')
    .option('--layers <list>', 'reverse layer indices, comma-separated (0 = last layer, 1 = the one before)', '0')
    .option('--layer-agg <how>', LAYER_AGGS.join(' | '), 'mean')
    .option('--pooling <how>', POOLINGS.join(' | '), 'mean')
    .option('--no-normalize', 'keep the pooled vector as it is (default: L2-normalised)')
    .option('--normalize-residues', 'L2-normalise each residue vector before pooling')
    .option('--max-length <n>', 'residues the model sees at most (default: the model card\'s maximum; k-mer: 100000)')
    .option('--chunking', 'embed overlapping chunks, one vector each (default: one vector per sequence)')
    .option('--chunk-size <n>', 'residues per chunk (default min(512, max length))')
    .option('--chunk-overlap <n>', 'residues shared by consecutive chunks (default 0)')
    .option('--description <text>', 'free text kept with the config (not part of the recipe)')
    .option('--inactive', 'create it switched off (the embedder ignores it until activated)')
    .option('--json', 'print the config as JSON')
    .action(async (flags: CreateFlags) => {
      const draft = recipeFromInput(flags);
      const [{ openBackend, modelMaxLength }, { withQueryPool, createEmbeddingConfig }] = await Promise.all([import('../../processors/embedder/backends.js'), queries()]);
      // opening the backend checks the model file and card before anything is stored
      const maxOfModel = await modelMaxLength(draft);
      const recipe = recipeFromInput(flags, maxOfModel);
      const backend = await openBackend({ ...recipe, id: 'new' });
      const dim = backend.dim;
      await backend.close();
      const { row, created } = await withQueryPool((db) => createEmbeddingConfig(db, recipe, { active: !flags.inactive }));
      if (flags.json) return void console.log(JSON.stringify({ ...row, created, dim }, null, 2));
      console.log(`${created ? 'created' : 'exists (same recipe)'}: ${recipeLine(row)}; ${dim} dimensions (${dim * 4} bytes per vector); ${row.active ? 'active' : 'inactive'}`);
      console.log(row.id);
    });

  cfg
    .command('list')
    .description('every embedding config with its status and how many sequences it has vectors for')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { withQueryPool, listEmbeddingConfigs } = await queries();
      const rows = await withQueryPool((db) => listEmbeddingConfigs(db));
      if (flags.json) return void console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return void console.log('no embedding configs yet: `protea embeddings config create` makes the default k-mer one');
      for (const r of rows) console.log(`${r.id}  ${(r.active ? 'active' : 'inactive').padEnd(8)}  ${String(r.sequences).padStart(8)} seq  ${recipeLine(r)}`);
    });

  cfg
    .command('show')
    .description('one embedding config: its recipe and its vectors')
    .argument('<id>', 'config id (UUID)')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const { withQueryPool, requireEmbeddingConfig, embeddingCounts } = await queries();
      await withQueryPool(async (db) => {
        const row = await requireEmbeddingConfig(db, id);
        const counts = await embeddingCounts(db, row.id);
        if (flags.json) return void console.log(JSON.stringify({ ...row, ...counts }, null, 2));
        console.log(describe(row));
        console.log(`  vectors         ${counts.vectors} for ${counts.sequences} sequences${counts.truncated ? ` (${counts.truncated} truncated at max length)` : ''}; computed on ${counts.devices.join(', ') || '-'}`);
      });
    });

  for (const [name, active] of [['activate', true], ['deactivate', false]] as const) {
    cfg
      .command(name)
      .description(active ? 'switch a config on: the embedder embeds new sequences under it (existing ones: `protea replay embeddings --config ID`)' : 'switch a config off: the embedder stops embedding under it; its vectors stay')
      .argument('<id>', 'config id (UUID)')
      .action(async (id: string) => {
        const { withQueryPool, setEmbeddingConfigActive } = await queries();
        const row = await withQueryPool((db) => setEmbeddingConfigActive(db, id, active));
        console.log(`${row.id} ${row.active ? 'active' : 'inactive'}`);
      });
  }

  program
    .command('replay')
    .description('recompute derived topics from their inputs')
    .command('embeddings')
    .description('embed every sequence of the sequences topic under one config (active or not) as a job; pairs already stored are skipped, so running it twice changes nothing. Needs `protea pipeline` running (its embeddings sink lands the vectors). Prints the job id on its last line.')
    .requiredOption('--config <id>', 'embedding config id (UUID)')
    .option('--sink-timeout-ms <ms>', 'how long to wait for the embeddings sink to land the vectors (default: no limit)')
    .action(async (flags: { config: string; sinkTimeoutMs?: string }) => {
      let sinkTimeoutMs: number | undefined;
      if (flags.sinkTimeoutMs !== undefined) {
        if (!/^\d+$/.test(flags.sinkTimeoutMs)) throw new ProteaError('USAGE', `--sink-timeout-ms ${flags.sinkTimeoutMs}: expected milliseconds`, { field: '--sink-timeout-ms' });
        sinkTimeoutMs = Number(flags.sinkTimeoutMs);
      }
      const [{ createQueryPool, requireEmbeddingConfig }, { replayEmbeddings }] = await Promise.all([queries(), import('../../processors/embedder/replay.js')]);
      // fail fast on an unknown id, before any consumer group is made
      const db = await createQueryPool(config().dbUrl, { maximumPoolSize: 1 });
      try {
        await requireEmbeddingConfig(db, flags.config);
      } finally {
        await db.end();
      }
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const r = await replayEmbeddings({ configId: flags.config, signal: abort.signal, ...(sinkTimeoutMs === undefined ? {} : { sinkTimeoutMs }) });
        console.log(`${r.status}: ${r.sequences} sequence messages read in ${r.seconds.toFixed(1)} s; config has ${r.vectors} vectors for ${r.embeddedSequences} sequences (device ${r.devices.join(',') || '-'})${r.deadLetters ? `; ${r.deadLetters} dead-lettered (see protea jobs ${r.jobId})` : ''}`);
        console.log(r.jobId);
        if (r.status !== 'succeeded') process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
