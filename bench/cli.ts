// The benchmarks' entry points: each parses its options with commander, as
// the `protea` CLI does, so every program has `--help` and rejects an unknown
// option or a bad value with a message instead of running with a default.
//
// An entry point's top level imports only what defining its options needs
// (commander, this module, lib/config.js, light helpers, types); what its run
// function uses (kafkajs, pg, onnxruntime, faiss, arrow, the pipeline's
// stages) is imported inside it with await import(), as cli/commands/ does:
// static imports would all load before commander parses, so `--help` or a
// mistyped option would cost seconds of CPU instead of a fraction of one.
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';

/** A benchmark's program, named by how it is run (`node dist/bench/<file>.js`). */
export function benchProgram(file: string, description: string): Command {
  return new Command(`node dist/bench/${file}.js`).description(description).allowExcessArguments(false);
}

/** Option value parser: a non-negative integer; '200_000' is read as 200000. */
export function nonNegativeInt(raw: string): number {
  const n = Number(raw.replaceAll('_', ''));
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Option value parser: a positive integer ('1_000' allowed). */
export function positiveInt(raw: string): number {
  const n = nonNegativeInt(raw);
  if (n === 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** True when the module is the file node was started with (not imported by a test or another benchmark). */
export function isEntryPoint(moduleUrl: string): boolean {
  return Boolean(process.argv[1]) && moduleUrl === pathToFileURL(process.argv[1]!).href;
}

/**
 * Runs a benchmark when its file is the entry point: commander parses the
 * arguments (`--help` prints the options and exits), then run() gets the
 * options and the operands; its resolved number, if any, is the exit code.
 */
export function benchMain<O>(moduleUrl: string, program: Command, run: (opts: O, operands: string[]) => Promise<number | void>): void {
  if (!isEntryPoint(moduleUrl)) return;
  program.parse(process.argv);
  run(program.opts<O & Record<string, unknown>>(), program.args).then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
      // kafkajs leaves timers behind: leave once the results are out
      setTimeout(() => process.exit(), 100).unref();
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
