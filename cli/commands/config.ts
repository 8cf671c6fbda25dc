// protea config: the settings, their defaults and current values.
import type { Command } from 'commander';
import { SETTINGS, config } from '../../lib/config.js';
import { settingsMarkdown } from '../../lib/settings-doc.js';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('print every PROTEA_* setting with its current value (validated) and default')
    .option('--markdown', 'print the documentation table instead')
    .action((opts: { markdown?: boolean }) => {
      if (opts.markdown) {
        console.log(settingsMarkdown());
        return;
      }
      const cfg = config() as unknown as Record<string, unknown>;
      for (const [name, s] of Object.entries(SETTINGS)) {
        let v = cfg[name];
        // token secrets are not printed: only their names and marks
        if (name === 'apiTokens' && typeof v === 'string' && v) v = v.split(',').map((t) => t.trim().split(':').map((p, i) => (i === 1 ? '***' : p)).join(':')).join(',');
        console.log(`${s.env.padEnd(30)} ${Array.isArray(v) ? v.join(',') : String(v)}${process.env[s.env] ? '' : '   (default)'}`);
      }
    });
}
