// protea stack up | down | status
import type { Command } from 'commander';
import { config } from '../../lib/config.js';

export function registerStack(program: Command): void {
  const stack = program.command('stack').description('the local stack: Kafka (KRaft), Apicurio Registry, PostgreSQL');

  stack
    .command('up')
    .description('start whatever is not running, waiting on each health check (idempotent)')
    .action(async () => {
      const { formatStatus, stackUp } = await import('../../stack/stack.js');
      const report = await stackUp(config(), (line) => console.log(line));
      console.log(`\nstack up in ${(report.totalMs / 1000).toFixed(1)} s\n`);
      console.log(formatStatus(report.components));
    });

  stack
    .command('down')
    .description('stop what `stack up` started; PostgreSQL and programs not started by it are left alone')
    .action(async () => {
      const { stackDown } = await import('../../stack/stack.js');
      await stackDown(config(), (line) => console.log(line));
    });

  stack
    .command('status')
    .description('print each component, its address, health, process and log path; exit 1 when one is not healthy')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const { formatStatus, stackStatus } = await import('../../stack/stack.js');
      const components = await stackStatus(config());
      console.log(opts.json ? JSON.stringify(components, null, 2) : formatStatus(components));
      if (components.some((c) => c.health !== 'healthy')) process.exitCode = 1;
    });
}
