import { PassThrough } from 'node:stream';
import t from 'tap';
import { Progress } from '../../lib/progress.js';

function sink(tty: boolean) {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  (s as { isTTY?: boolean }).isTTY = tty;
  let out = '';
  s.on('data', (d: Buffer) => (out += d.toString()));
  return { s, read: () => out };
}

t.test('the status line shows percentage, records, rate and ETA while work remains', async (t) => {
  const p = new Progress({ label: 'fasta', total: 1000, stream: sink(false).s });
  p.update(250, 5000);
  t.match(p.line(), /^fasta\s+25% █{5}░{15}\s+5,000 records\s+[\d,]+\/s\s+ETA \d+s$/);
});

t.test('without a total the line has no bar and shows elapsed time', async (t) => {
  const p = new Progress({ label: 'gaf', total: 0, stream: sink(false).s });
  p.update(0, 12);
  t.match(p.line(), /^gaf\s+12 records\s+[\d,]+\/s\s+[\d.]+s$/);
});

t.test('off a terminal it prints plain lines, throttled, and a final line', async (t) => {
  const out = sink(false);
  const p = new Progress({ label: 'obo', total: 10, stream: out.s, plainEverySeconds: 3600 });
  p.update(1, 1);
  p.update(2, 2); // throttled: within the hour
  p.finish(10);
  const lines = out.read().trim().split('\n');
  t.equal(lines.length, 2, 'the first update and the final line');
  t.match(lines[1], /100% █{20}\s+10 records/);
  t.notMatch(out.read(), /\r/, 'no carriage returns in plain mode');
});

t.test('on a terminal it redraws one line in place', async (t) => {
  const prevCI = process.env.CI;
  delete process.env.CI;
  t.teardown(() => {
    if (prevCI !== undefined) process.env.CI = prevCI;
  });
  const out = sink(true);
  const p = new Progress({ label: 'fasta', total: 4, stream: out.s });
  p.update(1, 1);
  p.finish(4);
  t.match(out.read(), /^\r\x1b\[2Kfasta/);
  t.ok(out.read().endsWith('\n'), 'the final draw ends the line');
});
