// The /metrics endpoint serves the processor counters, histogram and lag gauge
// in the Prometheus text format.
import t from 'tap';
import { countDeadLetters, countIn, countOut, observeBatch, setConsumerLag, startMetricsServer } from '../../lib/metrics.js';

t.test('GET /metrics serves the counters after some increments, in Prometheus text format', async (t) => {
  const server = await startMetricsServer(0, { host: '127.0.0.1' });
  t.teardown(() => server.close());

  countIn('dedup', 'unit.ingest.fasta', 7);
  countIn('dedup', 'unit.ingest.fasta', 3);
  countOut('dedup', 'unit.sequences', 4);
  countOut('dedup', 'unit.proteins', 9);
  countDeadLetters('dedup', 'unit.ingest.fasta', 1);
  observeBatch('dedup', 0.042);
  t.equal(setConsumerLag('dedup', 'unit.ingest.fasta', 2, '120', '100'), 20, 'lag = high watermark - next offset');
  t.equal(setConsumerLag('dedup', 'unit.ingest.fasta', 3, '50', '50'), 0);

  const res = await fetch(server.url);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const body = await res.text();
  t.match(body, /# HELP protea_records_in_total /);
  t.match(body, /# TYPE protea_records_in_total counter/);
  t.match(body, /protea_records_in_total\{stage="dedup",topic="unit\.ingest\.fasta"\} 10\n/);
  t.match(body, /protea_records_out_total\{stage="dedup",topic="unit\.sequences"\} 4\n/);
  t.match(body, /protea_records_out_total\{stage="dedup",topic="unit\.proteins"\} 9\n/);
  t.match(body, /protea_dlq_total\{stage="dedup",topic="unit\.ingest\.fasta"\} 1\n/);
  t.match(body, /# TYPE protea_batch_seconds histogram/);
  t.match(body, /protea_batch_seconds_bucket\{le="0\.05",stage="dedup"\} 1\n/);
  t.match(body, /protea_batch_seconds_count\{stage="dedup"\} 1\n/);
  t.match(body, /protea_consumer_lag\{stage="dedup",topic="unit\.ingest\.fasta",partition="2"\} 20\n/);
  t.match(body, /protea_consumer_lag\{stage="dedup",topic="unit\.ingest\.fasta",partition="3"\} 0\n/);
  t.match(body, /protea_process_cpu_user_seconds_total/, 'process metrics too');

  countIn('dedup', 'unit.ingest.fasta', 5);
  const again = await (await fetch(server.url)).text();
  t.match(again, /protea_records_in_total\{stage="dedup",topic="unit\.ingest\.fasta"\} 15\n/, 'a later scrape sees later increments');

  t.equal((await fetch(server.url.replace('/metrics', '/nope'))).status, 404);
  t.equal((await fetch(server.url, { method: 'POST' })).status, 405);
});

t.test('a taken port fails with PROTEA_ERR_STACK_PORT_TAKEN; close() frees the port', async (t) => {
  const first = await startMetricsServer(0, { host: '127.0.0.1' });
  const err = await startMetricsServer(first.port, { host: '127.0.0.1' }).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  t.equal(err?.code, 'PROTEA_ERR_STACK_PORT_TAKEN');
  t.match(err?.message ?? '', String(first.port));
  await first.close();
  const again = await startMetricsServer(first.port, { host: '127.0.0.1' });
  t.equal(again.port, first.port, 'the port is free again after close()');
  await again.close();
});
