// listMigrations: the validation of the migration folder (no database needed).
import { createHash } from 'node:crypto';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ProteaError } from '../../lib/errors.js';
import { MIGRATIONS_DIR, listMigrations } from '../../lib/migrate.js';

const ok = 'CREATE TABLE x (id int);\n';
const down = 'DROP TABLE x;\n';

/** The ProteaError listMigrations throws for `dir` (fails the test when none). */
function errorOf(t: Test, dir: string): ProteaError {
  try {
    listMigrations(dir);
  } catch (err) {
    t.type(err, ProteaError);
    return err as ProteaError;
  }
  t.fail('listMigrations did not throw');
  return new ProteaError('INTERNAL', 'no error');
}

t.test('the checkout sql/ folder: contiguous up/down pairs with checksums', async (t) => {
  const files = listMigrations();
  t.ok(files.length >= 5, `${files.length} migrations`);
  t.same(files.map((f) => f.version), files.map((_, i) => i + 1));
  t.equal(files[0]!.id, '0001_foundation');
  for (const f of files) {
    t.match(f.checksum, /^[0-9a-f]{64}$/);
    t.equal(path.dirname(f.upFile), MIGRATIONS_DIR);
    t.ok(f.upSql.length > 0 && f.downSql.length > 0, `${f.id} has text`);
  }
});

t.test('an empty folder has no migrations', async (t) => {
  t.same(listMigrations(t.testdir({})), []);
});

t.test('dot files are ignored', async (t) => {
  const dir = t.testdir({ '.gitkeep': '', '0001_a.up.sql': ok, '0001_a.down.sql': down });
  t.equal(listMigrations(dir).length, 1);
});

t.test('the checksum is the sha256 of the up file', async (t) => {
  const dir = t.testdir({ '0001_a.up.sql': 'SELECT 1;\n', '0001_a.down.sql': 'SELECT 2;\n' });
  t.equal(listMigrations(dir)[0]!.checksum, createHash('sha256').update('SELECT 1;\n').digest('hex'));
});

t.test('a missing down file is named', async (t) => {
  const dir = t.testdir({ '0001_a.up.sql': ok, '0001_a.down.sql': down, '0002_b.up.sql': ok });
  const e = errorOf(t, dir);
  t.equal(e.key, 'MIGRATION_FAILED');
  t.match(e.message, /0002_b\.up\.sql has no matching 0002_b\.down\.sql/);
  t.equal(e.context.file, path.join(dir, '0002_b.up.sql'));
  t.match(e.describe(), /file=.*0002_b\.up\.sql/);
});

t.test('a missing up file is named', async (t) => {
  const dir = t.testdir({ '0001_a.down.sql': down });
  t.match(errorOf(t, dir).message, /0001_a\.down\.sql has no matching 0001_a\.up\.sql/);
});

t.test('a gap in the numbering names the file after it and the missing version', async (t) => {
  const dir = t.testdir({
    '0001_a.up.sql': ok, '0001_a.down.sql': down,
    '0003_c.up.sql': ok, '0003_c.down.sql': down,
  });
  const e = errorOf(t, dir);
  t.match(e.message, /0003_c\.up\.sql: migration numbering has a gap \(0002 missing\)/);
  t.match(String(e.context.file), /0003_c\./);
});

t.test('numbering starts at 0001', async (t) => {
  const dir = t.testdir({ '0002_b.up.sql': ok, '0002_b.down.sql': down });
  t.match(errorOf(t, dir).message, /gap \(0001 missing\)/);
  const zero = t.testdir({ '0000_z.up.sql': ok, '0000_z.down.sql': down });
  t.match(errorOf(t, zero).message, /numbering starts at 0001/);
});

t.test('two migrations with one number are refused', async (t) => {
  const dir = t.testdir({
    '0001_a.up.sql': ok, '0001_a.down.sql': down,
    '0001_b.up.sql': ok, '0001_b.down.sql': down,
  });
  t.match(errorOf(t, dir).message, /0001_b\.down\.sql reuses version 0001 of 0001_a/);
});

t.test('up and down with different names are refused', async (t) => {
  const dir = t.testdir({ '0001_a.up.sql': ok, '0001_b.down.sql': down });
  t.match(errorOf(t, dir).message, /0001_b\.down\.sql reuses version 0001 of 0001_a\.up\.sql/);
});

t.test('anything else in the folder is refused by name', async (t) => {
  for (const stray of ['README.md', '0001_a.sql', '1_a.up.sql', '0001_Upper.up.sql', '0001-a.up.sql']) {
    const dir = t.testdir({ '0001_a.up.sql': ok, '0001_a.down.sql': down, [stray]: ok });
    const e = errorOf(t, dir);
    t.match(e.message, `${stray} is not a migration file name`, stray);
    t.equal(e.context.file, path.join(dir, stray));
  }
});

t.test('a file that ends the runner\'s transaction itself is refused with its line', async (t) => {
  const dir = t.testdir({
    '0001_a.up.sql': ok,
    '0001_a.down.sql': down,
    '0002_b.up.sql': '-- comment\nCREATE TABLE y (id int);\ncommit;\n',
    '0002_b.down.sql': down,
  });
  const e = errorOf(t, dir);
  t.match(e.message, /0002_b\.up\.sql controls the transaction itself \(COMMIT\)/);
  t.equal(e.context.line, 3);
  // BEGIN without a semicolon opens a PL/pgSQL block and is fine
  const plpgsql = t.testdir({
    '0001_f.up.sql': 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;\n',
    '0001_f.down.sql': 'DROP FUNCTION f();\n',
  });
  t.equal(listMigrations(plpgsql).length, 1);
});

t.test('a folder that does not exist', async (t) => {
  const e = errorOf(t, path.join(t.testdir({}), 'nope'));
  t.match(e.message, /migrations folder .*nope cannot be read/);
});
