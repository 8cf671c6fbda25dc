import t from 'tap';
import { readFasta } from '../../parsers/fasta.js';

const TRUNCATED = 'test/fixtures/bad-input/fasta-truncated.fasta.gz';

async function read(pauseEvery: number, pauseMs: number): Promise<{ records: number; error: string }> {
  let records = 0;
  try {
    for await (const item of readFasta(TRUNCATED)) {
      if (item.kind === 'record') records += 1;
      if (pauseEvery > 0 && records % pauseEvery === 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } catch (err) {
    return { records, error: (err as Error).message };
  }
  return { records, error: '' };
}

t.test('a truncated gzip yields every line decompressed before the cut, however slowly it is consumed', async (t) => {
  const fast = await read(0, 0);
  const slow = await read(25, 20);
  t.ok(fast.records > 100, `records before the cut (${fast.records})`);
  t.equal(slow.records, fast.records, 'a slow consumer gets the same records');
  t.equal(slow.error, fast.error, 'and the same error, naming the same last line');
  t.match(slow.error, /truncated or corrupt.*last complete line \d+/);
});
