// The one list of the pipeline's stages, processors and sinks alike: what
// `protea pipeline` runs (all of them, or those named with --stage), what the
// tests start, and what docker-compose's pipeline service runs
// (test/unit/docker-compose.test.ts checks it against this list). A new stage
// is a line here, never a special case or a main of its own.
//
// TEST HOOK, not a setting: PROTEA_FAULT_CRASH=after-copy|after-merge|before-commit
// makes a process running sink stages SIGKILL itself at that point of a sink
// transaction (after the COPY and before the merge; after the merge; right
// before COMMIT), with probability PROTEA_FAULT_CRASH_RATE per transaction
// (default 1; drawn from PROTEA_FAULT_SEED when set, so a test's printed seed
// replays them). It writes the line `PROTEA_FAULT_CRASH <point> ...` to stderr
// first, so a test can tell its own kills from the process's.
// test/faults/sink-crash-restart.test.ts uses it (through `protea pipeline
// --stage sink:sequences`); nothing else should.
//
// Each stage's module is imported when the stage starts, not with this list: a
// process running one stage (`--stage sink:sequences`) loads that stage's code
// only, not the embedder's onnxruntime or the predictor's faiss.
import { writeSync } from 'node:fs';
import { ProteaError } from '../lib/errors.js';
import type { StopResult } from '../lib/runtime/stage-runtime.js';
import type { FaultHook, FaultPoint, SinkMapping } from '../sinks/runner.js';
import { mulberry32 } from '../lib/seeded-random.js';

/** Every sink, by name: each loads its mapping when started. */
export const SINKS: Readonly<Record<string, () => Promise<SinkMapping<never>>>> = {
  sequences: async () => (await import('../sinks/sequences.js')).sequencesSink as SinkMapping<never>,
  proteins: async () => (await import('../sinks/proteins.js')).proteinsSink as SinkMapping<never>,
  jobs: async () => (await import('../sinks/jobs.js')).jobsSink as SinkMapping<never>,
  ontology: async () => (await import('../sinks/ontology.js')).ontologySink as SinkMapping<never>,
  taxonomy: async () => (await import('../sinks/taxonomy.js')).taxonomySink as SinkMapping<never>,
  query_sets: async () => (await import('../sinks/query-sets.js')).querySetsSink as SinkMapping<never>,
  annotations: async () => (await import('../sinks/annotations.js')).annotationsSink as SinkMapping<never>,
  embeddings: async () => (await import('../sinks/embeddings.js')).embeddingsSink as SinkMapping<never>,
  predictions: async () => (await import('../sinks/predictions.js')).predictionsSink as SinkMapping<never>,
};

/** How a stage is started; unset options take the stage's defaults. */
export interface StageStartOptions {
  namespace?: string;
  dbUrl?: string;
  /** consumer group (default: the stage's own) */
  groupId?: string;
  gracePeriodMs?: number;
  sessionTimeoutMs?: number;
  /** sinks: records per transaction at most */
  maxRecords?: number;
  /** sinks: the PROTEA_FAULT_CRASH test hook */
  fault?: FaultHook;
  /** install SIGTERM/SIGINT handlers in the stage (default false: the caller handles signals) */
  handleSignals?: boolean;
}

export interface RunningStage {
  name: string;
  groupId: string;
  stop(reason?: string): Promise<StopResult>;
  /** settles when the stage stops: resolves after stop(), rejects when it failed */
  done: Promise<StopResult>;
}

export interface StageDefinition {
  /** 'dedup', 'sink:sequences', ... */
  name: string;
  kind: 'processor' | 'sink';
  start(opts?: StageStartOptions): Promise<RunningStage>;
}

const defined = <T>(o: T): Partial<T> => Object.fromEntries(Object.entries(o as object).filter(([, v]) => v !== undefined)) as Partial<T>;

function sinkStage(name: string, loadMapping: () => Promise<SinkMapping<never>>): StageDefinition {
  return {
    name: `sink:${name}`,
    kind: 'sink',
    async start(opts = {}) {
      const [{ runSink }, mapping] = await Promise.all([import('../sinks/runner.js'), loadMapping()]);
      const runner = await runSink(mapping, defined({ ...opts }));
      return { name: `sink:${name}`, groupId: runner.groupId, stop: (reason) => runner.stop(reason), done: runner.done };
    },
  };
}

/** Every stage, in start order. */
export const STAGES: readonly StageDefinition[] = [
  {
    name: 'dedup',
    kind: 'processor',
    async start(opts = {}) {
      const { dbUrl: _d, maxRecords: _m, fault: _f, ...rest } = opts;
      const { runDedup } = await import('../processors/dedup/processor.js');
      const h = await runDedup({ handleSignals: false, ...defined(rest) });
      return { name: 'dedup', groupId: h.groupId, stop: (reason) => h.stop(reason), done: h.done };
    },
  },
  {
    name: 'embedder',
    kind: 'processor',
    async start(opts = {}) {
      const { maxRecords: _m, fault: _f, ...rest } = opts;
      const { runEmbedder } = await import('../processors/embedder/processor.js');
      const h = await runEmbedder({ handleSignals: false, ...defined(rest) });
      return { name: 'embedder', groupId: h.groupId, stop: (reason) => h.stop(reason), done: h.done };
    },
  },
  {
    name: 'predictor',
    kind: 'processor',
    async start(opts = {}) {
      const { maxRecords: _m, fault: _f, ...rest } = opts;
      const { runPredictor } = await import('../processors/predictor/processor.js');
      const h = await runPredictor({ handleSignals: false, ...defined(rest) });
      return { name: 'predictor', groupId: h.groupId, stop: (reason) => h.stop(reason), done: h.done };
    },
  },
  {
    name: 'enricher',
    kind: 'processor',
    async start(opts = {}) {
      const { maxRecords: _m, fault: _f, ...rest } = opts;
      const { runEnricher } = await import('../processors/enricher/processor.js');
      const h = await runEnricher({ handleSignals: false, ...defined(rest) });
      return { name: 'enricher', groupId: h.groupId, stop: (reason) => h.stop(reason), done: h.done };
    },
  },
  ...Object.entries(SINKS).map(([name, load]) => sinkStage(name, load)),
];

export function stageNames(): string[] {
  return STAGES.map((s) => s.name);
}

export function findStage(name: string): StageDefinition {
  const stage = STAGES.find((s) => s.name === name);
  if (!stage) throw new ProteaError('USAGE', `no stage ${JSON.stringify(name)}`, { hint: `Stages: ${stageNames().join(', ')}.` });
  return stage;
}

/** Starts the named stages (all by default) in this process; stops the started ones if one fails to start. */
export async function startStages(names: readonly string[] = stageNames(), opts: StageStartOptions = {}): Promise<RunningStage[]> {
  const stages = names.map(findStage);
  const started = await Promise.allSettled(stages.map((s) => s.start(opts))); // each joins its own consumer group
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(running.map((r) => r.stop('another stage failed to start')));
    throw failed.reason;
  }
  return running;
}

const FAULT_POINTS: readonly FaultPoint[] = ['after-copy', 'after-merge', 'before-commit'];

/** The fault hook PROTEA_FAULT_CRASH asks for (see the file comment), or undefined. */
export function faultHookFromEnv(env: NodeJS.ProcessEnv = process.env): FaultHook | undefined {
  const point = env.PROTEA_FAULT_CRASH;
  if (!point) return undefined;
  if (!FAULT_POINTS.includes(point as FaultPoint)) throw new ProteaError('USAGE', `PROTEA_FAULT_CRASH=${point}: expected one of ${FAULT_POINTS.join(', ')}`);
  const rate = env.PROTEA_FAULT_CRASH_RATE === undefined || env.PROTEA_FAULT_CRASH_RATE === '' ? 1 : Number(env.PROTEA_FAULT_CRASH_RATE);
  if (!(rate >= 0 && rate <= 1)) throw new ProteaError('USAGE', `PROTEA_FAULT_CRASH_RATE=${env.PROTEA_FAULT_CRASH_RATE}: expected a probability between 0 and 1`);
  // PROTEA_FAULT_SEED (set by the test, printed with its seed) makes the crash draws replayable
  const seed = env.PROTEA_FAULT_SEED === undefined || env.PROTEA_FAULT_SEED === '' ? undefined : Number(env.PROTEA_FAULT_SEED);
  if (seed !== undefined && !Number.isInteger(seed)) throw new ProteaError('USAGE', `PROTEA_FAULT_SEED=${env.PROTEA_FAULT_SEED}: expected an integer`);
  const random = seed === undefined ? Math.random : mulberry32(seed);
  return (at, where) => {
    if (at !== point || random() >= rate) return;
    writeSync(2, `PROTEA_FAULT_CRASH ${at} pid=${process.pid} ${where.topic}[${where.partition}] ${where.expected}->${where.next}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}
