// `protea topics create`: every topic of the catalogue with its config, and
// every value schema registered under `<topic>-value`. Idempotent: a second run
// finds the topics and the schemas (same schema -> same id) and changes nothing.
import { config } from '../lib/config.js';
import { ensureTopics, type KafkaClientOptions, type TopicDefinition } from '../lib/kafka-client.js';
import { AvroRegistry } from '../lib/schema-registry.js';
import { loadSchema } from '../lib/schemas.js';
import { TOPICS, subjectFor, topicName, type TopicSpec } from './catalogue.js';

export interface CreatedTopic {
  topic: string;
  action: 'created' | 'updated' | 'unchanged';
  subject: string;
  schemaId: number;
  valueSchema: string;
}

export function topicDefinition(spec: TopicSpec, namespace: string): TopicDefinition {
  return {
    name: topicName(spec, namespace),
    partitions: spec.partitions,
    config: { 'cleanup.policy': spec.cleanupPolicy, ...spec.config },
  };
}

export async function createTopics(opts: { namespace?: string; registry?: AvroRegistry; kafka?: KafkaClientOptions } = {}): Promise<CreatedTopic[]> {
  const namespace = opts.namespace ?? config().topicNamespace;
  const registry = opts.registry ?? new AvroRegistry();
  const defs = TOPICS.map((spec) => topicDefinition(spec, namespace));
  const result = await ensureTopics(defs, opts.kafka);
  const action = (name: string): CreatedTopic['action'] => (result.created.includes(name) ? 'created' : result.updated.includes(name) ? 'updated' : 'unchanged');
  const out: CreatedTopic[] = [];
  for (const spec of TOPICS) {
    const topic = topicName(spec, namespace);
    const subject = subjectFor(topic);
    const schemaId = await registry.register(subject, loadSchema(spec.valueSchema));
    out.push({ topic, action: action(topic), subject, schemaId, valueSchema: spec.valueSchema });
  }
  return out;
}
