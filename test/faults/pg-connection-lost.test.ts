// The server ends a COPY pool's idle connections (a restart, an operator, a
// database dropped just after pool.end()): pg's pool then emits 'error', which
// crashes a process whose pool has no listener. createCopyPool's pools keep
// working, and a test that drops its database right after pool.end() (as
// every fresh-database test does) no longer fails at random.
import t from 'tap';
import { adminQuery, createCopyPool, databaseName, withDatabase } from '../../lib/db.js';
import { freshDatabase } from '../helpers/fresh-database.js';

t.test('an idle connection terminated by the server: the pool reports it and serves the next query on a new one', async (t) => {
  const url = await freshDatabase(t);
  const pool = createCopyPool(url, 2);
  t.teardown(() => pool.end());
  t.ok(pool.listenerCount('error') >= 1, 'the pool has an error listener');
  const pid = Number((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const lost = new Promise<Error>((resolve) => pool.once('error', resolve));
  await adminQuery(url, 'SELECT pg_terminate_backend($1)', [pid]);
  const err = await lost;
  t.match(err.message, /terminating connection/, `the pool saw it: ${err.message}`);
  const again = Number((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  t.not(again, pid, 'the next query runs on a new connection');
});

t.test('a database dropped right after pool.end(): no uncaught error, 20 times over', async (t) => {
  for (let i = 0; i < 20; i++) {
    await t.test(`round ${i + 1}`, async (t) => {
      const url = await freshDatabase(t);
      const pool = createCopyPool(url, 4);
      const rows = await Promise.all([1, 2, 3, 4].map(async () => (await pool.query('SELECT 1 AS one')).rows[0].one));
      t.same(rows, [1, 1, 1, 1]);
      // pool.end() resolves before its connections are closed: the drop below races them
      await pool.end();
      await adminQuery(withDatabase(url, 'postgres'), `DROP DATABASE "${databaseName(url)}" WITH (FORCE)`);
      // the terminated connections report back: a window for the uncaught error this test is about
      // (its absence cannot be polled for)
      await new Promise((r) => setTimeout(r, 20));
    });
  }
});
