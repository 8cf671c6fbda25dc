// protea topics create | list
import type { Command } from 'commander';
import { config } from '../../lib/config.js';
import { TOPICS, topicName } from '../../topics/catalogue.js';

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description('the topic catalogue: Kafka topics and their Avro value schemas');

  topics
    .command('create')
    .description('create every topic with its partitions and config, and register every value schema under <topic>-value (idempotent)')
    .option('--namespace <ns>', 'topic name prefix (default: PROTEA_TOPIC_NAMESPACE)')
    .action(async (opts: { namespace?: string }) => {
      const { createTopics } = await import('../../topics/create.js');
      const rows = await createTopics({ namespace: opts.namespace ?? config().topicNamespace });
      const w = Math.max(...rows.map((r) => r.topic.length));
      for (const r of rows) console.log(`${r.topic.padEnd(w)}  ${r.action.padEnd(9)}  ${r.valueSchema} (schema id ${r.schemaId})`);
      const created = rows.filter((r) => r.action === 'created').length;
      console.log(`\n${rows.length} topics: ${created} created, ${rows.filter((r) => r.action === 'updated').length} updated, ${rows.filter((r) => r.action === 'unchanged').length} unchanged`);
    });

  topics
    .command('list')
    .description('print the catalogue: name, key, partitions, cleanup policy, value schema')
    .option('--namespace <ns>', 'topic name prefix (default: PROTEA_TOPIC_NAMESPACE)')
    .action((opts: { namespace?: string }) => {
      const ns = opts.namespace ?? config().topicNamespace;
      for (const t of TOPICS) {
        console.log(`${topicName(t, ns)}\n  key: ${t.key}\n  partitions: ${t.partitions}, cleanup.policy: ${t.cleanupPolicy}, value: ${t.valueSchema}\n  ${t.description}\n`);
      }
    });
}
