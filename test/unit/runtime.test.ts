// The pure parts of the stage runtime: the one retry policy, micro-batches,
// bisection, and the one dead-letter shape (headers included).
import t from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { bisect } from '../../lib/runtime/bisect.js';
import { buildDeadLetter, deadLetterJobEvent } from '../../lib/runtime/dead-letters.js';
import { microBatches } from '../../lib/runtime/micro-batches.js';
import { backoffDelay, retryPolicy, withRetry } from '../../lib/runtime/retry.js';

t.test('backoff: exponential, capped, with jitter between half and all of the base', async (t) => {
  const policy = { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 5000 };
  t.equal(backoffDelay(policy, 1, () => 0), 100);
  t.equal(backoffDelay(policy, 1, () => 1), 200);
  t.equal(backoffDelay(policy, 3, () => 1), 800, 'doubles per attempt');
  t.equal(backoffDelay(policy, 12, () => 1), 5000, 'capped');
  t.equal(backoffDelay(policy, 12, () => 0), 2500, 'jitter keeps at least half');
  t.same(retryPolicy({}), { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 5000 }, 'defaults are the PROTEA_RETRY_* settings');
});

t.test('withRetry: retries only retry-disposition errors, up to maxAttempts', async (t) => {
  const policy = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 };
  let calls = 0;
  const retried: number[] = [];
  const err = await withRetry(async () => {
    calls++;
    throw new ProteaError('DB_UNAVAILABLE', 'down');
  }, { policy, onRetry: (_e, attempt) => void retried.push(attempt) }).catch((e: unknown) => e as ProteaError);
  t.equal(calls, 3);
  t.same(retried, [1, 2]);
  t.equal(err.key, 'DB_UNAVAILABLE');
  calls = 0;
  const bug = new TypeError('bug');
  t.equal(await withRetry(async () => {
    calls++;
    throw bug;
  }, { policy }).catch((e: unknown) => e), bug, 'anything else is thrown as it was, at once');
  t.equal(calls, 1);
  t.equal(await withRetry(async (attempt) => (attempt < 2 ? Promise.reject(new ProteaError('KAFKA_UNAVAILABLE', 'x')) : 'ok'), { policy }), 'ok');
});

t.test('micro-batches: by count, bytes or cost, in order, nothing left out', async (t) => {
  const items = [5, 1, 1, 7, 2, 2, 2, 9];
  t.same(microBatches(items, { maxRecords: 3 }), [[5, 1, 1], [7, 2, 2], [2, 9]]);
  t.same(microBatches(items, { maxCost: 6, cost: (x) => x }), [[5, 1], [1], [7], [2, 2, 2], [9]], 'an item over the limit alone gets its own');
  t.same(microBatches(items, { maxBytes: 4, bytes: () => 2 }), [[5, 1], [1, 7], [2, 2], [2, 9]]);
  t.same(microBatches(items), [items], 'no limit: one micro-batch');
  t.same(microBatches([], { maxRecords: 2 }), []);
});

t.test('bisect: a culprit among 1000 costs at most 1 + 2*ceil(log2(1000)) calls', async (t) => {
  for (const culprit of [0, 1, 499, 500, 613, 998, 999]) {
    let calls = 0;
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const out = await bisect(items, async (part) => {
      calls++;
      if (part.includes(culprit)) throw new Error('poison');
      return part.map((x) => `ok ${x}`);
    }, { splittable: () => true, single: (x) => `dead ${x}` });
    t.ok(calls <= 21, `culprit ${culprit}: ${calls} calls`);
    t.equal(out.length, 1000);
    t.equal(out[culprit], `dead ${culprit}`);
    t.equal(out.filter((o) => o.startsWith('ok')).length, 999, 'the others pass, in order');
  }
  await t.rejects(bisect([1, 2], async () => Promise.reject(new Error('outage')), { splittable: () => false, single: () => 'x' }), /outage/, 'an unsplittable failure is thrown');
});

t.test('one dead-letter shape: value and the one header set', async (t) => {
  const error = new ProteaError('SEQUENCE_INVALID', 'gap at\nposition 4', { file: 'a.fasta', line: 9 });
  const letter = buildDeadLetter({
    stage: 'dedup',
    source: { topic: 'p.ingest.fasta', partition: 2, offset: '41', key: 'P1', raw: Buffer.from('x'), headers: { 'protea-job-id': '0194703a-5c2e-7d41-8b6f-3e9a2c1d4f57' } },
    error,
    now: 1000,
  });
  t.same(letter.headers, {
    'protea-stage': 'dedup',
    'protea-source-topic': 'p.ingest.fasta',
    'protea-source-partition': '2',
    'protea-source-offset': '41',
    'protea-error-code': 'PROTEA_ERR_SEQUENCE_INVALID',
    'protea-error-reason': 'gap at position 4',
    'protea-source-file': 'a.fasta',
    'protea-source-line': '9',
    'protea-job-id': '0194703a-5c2e-7d41-8b6f-3e9a2c1d4f57',
  });
  t.match(letter.value, { stage: 'dedup', source_partition: 2, source_offset: '41', error_code: 'PROTEA_ERR_SEQUENCE_INVALID', retriable: false, file: 'a.fasta', line: 9, job_id: '0194703a-5c2e-7d41-8b6f-3e9a2c1d4f57', failed_at: 1000 });
  t.equal(letter.key, 'P1');
  const event = deadLetterJobEvent(letter, 'p.dlq.dedup', 500);
  t.equal(event?.value.event, 'dead_letter');
  t.equal(event?.value.event_id, deadLetterJobEvent(letter, 'p.dlq.dedup', 500)?.value.event_id, 'the same dead letter gives the same event id');
  const fromFile = buildDeadLetter({ stage: 'ingest', source: { topic: 'p.ingest.fasta', partition: null, offset: null, key: null, raw: null, headers: {} }, error, key: 'a.fasta:9' });
  t.notOk('protea-source-offset' in fromFile.headers, 'no offset header for a line read from a file');
  t.equal(fromFile.key, 'a.fasta:9');
});
