// The documentation table of the PROTEA_* settings, from SETTINGS: what
// `protea config --markdown` prints and the README's configuration table
// (a unit test keeps the README in step with SETTINGS).
import { SETTINGS } from './config.js';

/** The settings as a Markdown table: variable, default, meaning. */
export function settingsMarkdown(): string {
  const rows = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | \`${s.default || '(unset)'}\` | ${s.doc} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
