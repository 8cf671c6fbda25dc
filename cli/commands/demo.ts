// protea demo: what `npm run demo` runs (the steps are lib/demo.ts); this
// command parses its options and prints the steps' events and the result.
import path from 'node:path';
import type { Command } from 'commander';
import { config } from '../../lib/config.js';
import type { DemoEvent } from '../../lib/demo.js';
import { ProteaError } from '../../lib/errors.js';

/** Prints one event: steps and their lines on stdout, the jobs counter on stderr (it rewrites its line). */
function printer(): (e: DemoEvent) => void {
  let counting = false;
  return (e) => {
    if (e.kind === 'progress') {
      counting = true;
      process.stderr.write(`\r    jobs complete: ${e.done}/${e.total}`);
      return;
    }
    if (counting) {
      process.stderr.write('\n');
      counting = false;
    }
    if (e.kind === 'step') console.log(`${e.n}/${e.of} ${e.title}`);
    else if (e.kind === 'detail') console.log(e.text.replace(/^(?=.)/gm, '    '));
    else console.log(`\n${e.title}:${e.lines.map((l) => `\n  ${l}`).join('')}`);
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('bring up the local stack, run the ingest pipeline on the bundled demo data and print what landed, then evaluate a predictor and the naive baseline on a temporal holdout of the demo annotations (repeatable)')
    .option('--timeout <seconds>', 'how long to wait for the jobs to complete', '180')
    .option('--out <dir>', 'where the evaluation step writes results.tsv, curves.tsv and the precision-recall plots (default: <PROTEA_STATE_DIR>/demo-evaluation)')
    .action(async (opts: { timeout: string; out?: string }) => {
      const timeoutSeconds = Number(opts.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new ProteaError('USAGE', `--timeout ${opts.timeout}: expected a positive number of seconds`);
      const cfg = config();
      const { runDemo } = await import('../../lib/demo.js');
      const r = await runDemo(cfg, { timeoutSeconds, outDir: path.resolve(opts.out ?? path.join(cfg.stateDir, 'demo-evaluation')), onEvent: printer() });
      console.log(`\ndone in ${r.seconds.toFixed(1)} s. Try: npx protea jobs; psql ${cfg.dbUrl}; npx protea stack down`);
    });
}
