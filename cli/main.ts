// The `protea` command: one program, a sub-command per concern.
// The command modules import statically only what defines a command (name,
// options, help); each action imports what it runs with `await import()`, so
// a process starts without onnxruntime, faiss, arrow or fastify unless its
// command needs them (stage processes and tests start the CLI often).
import { Command, CommanderError } from 'commander';
import { ProteaError, classify } from '../lib/errors.js';
import { registerApi } from './commands/api.js';
import { registerConfig } from './commands/config.js';
import { registerDb } from './commands/db.js';
import { registerDemo } from './commands/demo.js';
import { registerEmbeddings } from './commands/embeddings.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerJobs } from './commands/jobs.js';
import { registerPipeline } from './commands/pipeline.js';
import { registerPredict } from './commands/predict.js';
import { registerPredictions } from './commands/predictions.js';
import { registerProduce } from './commands/produce.js';
import { registerSchemas } from './commands/schemas.js';
import { registerScoring } from './commands/scoring.js';
import { registerTopics } from './commands/topics.js';
import { registerStack } from './commands/stack.js';

export function buildProgram(): Command {
  const program = new Command('protea')
    .description('PROTEA-stream: annotate proteins with Gene Ontology terms through Kafka topics into PostgreSQL')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // program options only before the sub-command: `produce gaf --version V` is the sub-command's
    .enablePositionalOptions();
  registerDemo(program);
  registerStack(program);
  registerDb(program);
  registerTopics(program);
  registerProduce(program);
  registerJobs(program);
  registerPipeline(program);
  registerEmbeddings(program);
  registerPredict(program);
  registerPredictions(program);
  registerScoring(program);
  registerEvaluate(program);
  registerApi(program);
  registerSchemas(program);
  registerConfig(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const e = err instanceof ProteaError ? err : classify(err);
    console.error(e.describe());
    if (e.key === 'INTERNAL' && err instanceof Error) console.error(err.stack);
    process.exitCode = 1;
  }
}
