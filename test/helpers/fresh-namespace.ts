// A topic namespace of its own for one test file (or test): every catalogue
// topic created (and its schema registered) under it, all deleted again at
// teardown, so runs never see each other's records, groups or subjects.
//
// freshNamespace(t) does all of it for a test that can await in its body.
// Files that need the name at module level (topic names in constants) but
// must create the topics inside t.before (tap's root test would end during a
// top-level await) use the three steps: namespaceName(), createNamespace(ns),
// dropNamespace(ns).
import { config } from '../../lib/config.js';
import { deleteTopics } from '../../lib/kafka-client.js';
import { TOPICS, subjectFor, topicName } from '../../topics/catalogue.js';
import { createTopics, type CreatedTopic } from '../../topics/create.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A namespace name no other run uses (time + random), valid as a topic prefix. */
export function namespaceName(): string {
  return `protea_t_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** The names of every catalogue topic under the namespace. */
export function namespaceTopics(namespace: string): string[] {
  return TOPICS.map((s) => topicName(s, namespace));
}

/** Creates every catalogue topic under the namespace and registers its schemas. */
export async function createNamespace(namespace: string): Promise<CreatedTopic[]> {
  return createTopics({ namespace });
}

/**
 * Deletes the namespace's topics and its registry subjects: a soft delete,
 * then a permanent one (the Confluent API's two steps; only the second frees
 * the subject). Subjects are deleted even when deleting the topics failed;
 * that failure is thrown afterwards.
 */
export async function dropNamespace(namespace: string): Promise<void> {
  const names = namespaceTopics(namespace);
  const failed = await deleteTopics(names).then(
    () => undefined,
    (err: unknown) => ({ err }),
  );
  for (const subject of names.map(subjectFor)) {
    await fetch(`${config().registryUrl}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${config().registryUrl}/subjects/${subject}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
  if (failed) throw failed.err;
}

/** Creates a fresh namespace for test t and drops it when t ends (a failed drop only leaves litter behind). */
export async function freshNamespace(t: Teardown): Promise<string> {
  const namespace = namespaceName();
  t.teardown(() => dropNamespace(namespace).catch(() => undefined));
  await createNamespace(namespace);
  return namespace;
}
