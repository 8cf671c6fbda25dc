// protea produce fasta | gaf | obo | taxonomy: files onto the ingest topics, one job per run.
import path from 'node:path';
import type { Command } from 'commander';
import { config } from '../../lib/config.js';
import { ProteaError } from '../../lib/errors.js';
import type { ProduceReport, ProduceRun } from '../../topics/produce.js';

function summary(r: ProduceReport): string {
  const lines = [`job ${r.jobId}: ${r.sent} records → ${r.topic}, ${r.rejected} rejected, ${r.notes} skipped with a note, in ${(r.ms / 1000).toFixed(1)} s`];
  for (const x of r.examples) lines.push(`  rejected ${x.file}:${x.line}: ${x.field ? `${x.field}: ` : ''}${x.reason}`);
  if (r.rejected > r.examples.length) lines.push(`  … ${r.rejected - r.examples.length} more in the ingest dead-letter topic`);
  return lines.join('\n');
}

const ingestRuns = () => import('../../topics/ingest-runs.js');

async function runAndReport<V, O>(run: ProduceRun<V, O>): Promise<void> {
  const [{ TopicProducer }, { produce }] = await Promise.all([import('../../lib/topic-producer.js'), import('../../topics/produce.js')]);
  const producer = new TopicProducer();
  try {
    const report = await produce(run, { producer });
    console.log(summary(report));
  } finally {
    await producer.disconnect();
  }
}

export function registerProduce(program: Command): void {
  const cmd = program.command('produce').description('stream input files (plain or gzip) onto the ingest topics; each run is a job');

  cmd
    .command('fasta')
    .description('FASTA sequences onto protea.ingest.fasta (UniProt headers parsed by the dedup stage)')
    .argument('<file>', 'FASTA file, plain or gzip')
    .option('--query-set <name>', 'make the entries a query set of this name (for prediction jobs)')
    .option('--source <source>', 'where the sequences come from (uniprot, upload, cafa, …)', 'uniprot')
    .action(async (file: string, opts: { querySet?: string; source?: string }) => {
      const { fastaRun } = await ingestRuns();
      await runAndReport(fastaRun(file, opts));
    });

  cmd
    .command('gaf')
    .description('GAF 2.1/2.2 annotations onto protea.ingest.gaf as one annotation set')
    .argument('<file>', 'GAF file, plain or gzip')
    .requiredOption('--source <source>', 'annotation source: goa, quickgo, …')
    .requiredOption('--version <version>', 'version of the source release, e.g. 2024-01-17')
    .requiredOption('--ontology <obo_version>', 'the ontology release (data-version) the annotations are pinned to')
    .action(async (file: string, opts: { source: string; version: string; ontology: string }) => {
      // said before anything is sent: rows pinned to a release that is not loaded wait in the sink, then go to its DLQ
      const { checkPinnedRelease } = await import('../../lib/job-status.js');
      const warning = await checkPinnedRelease(config().dbUrl, opts.ontology);
      if (warning) console.error(warning);
      const { gafRun } = await ingestRuns();
      await runAndReport(gafRun(file, opts));
    });

  cmd
    .command('obo')
    .description('a GO release (OBO 1.4) onto protea.ingest.obo: one message per term, then the release header')
    .argument('<file>', 'OBO file, plain or gzip')
    .option('--url <url>', 'where the release was downloaded from (recorded as obo_url)')
    .option('--obo-version <version>', 'release version when the file has no data-version header')
    .action(async (file: string, opts: { url?: string; oboVersion?: string }) => {
      const { oboRun } = await ingestRuns();
      await runAndReport(oboRun(file, { ...(opts.url ? { url: opts.url } : {}), ...(opts.oboVersion ? { version: opts.oboVersion } : {}) }));
    });

  cmd
    .command('taxonomy')
    .description('NCBI taxonomy (nodes.dmp + names.dmp) onto protea.ingest.taxonomy')
    .argument('<nodes>', 'nodes.dmp, plain or gzip')
    .argument('<names>', 'names.dmp, plain or gzip')
    .action(async (nodes: string, names: string) => {
      if (path.resolve(nodes) === path.resolve(names)) throw new ProteaError('USAGE', 'nodes and names must be two different files', { file: nodes });
      const { taxonomyRun } = await ingestRuns();
      await runAndReport(taxonomyRun(nodes, names));
    });
}
