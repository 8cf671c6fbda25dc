// The bad-input corpus and its asserted outcomes (test/fixtures/bad-input/EXPECTED.json),
// read by the reader-level test and by the end-to-end test alike.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BAD_INPUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/bad-input');

export type Json = Record<string, unknown>;

export interface Expectation {
  reader: 'fasta' | 'gaf' | 'obo' | 'taxonomy' | 'taxonomy-names';
  describe: string;
  absent?: boolean;
  names?: string;
  nodes?: string;
  records?: Json[];
  rejects?: Json[];
  notes?: Json[];
  error?: { code: string; message: string; line?: number } | null;
  ontology?: string;
}

/** file name -> what must come out of it */
export const EXPECTED: Record<string, Expectation> = (JSON.parse(readFileSync(path.join(BAD_INPUT_DIR, 'EXPECTED.json'), 'utf8')) as { files: Record<string, Expectation> }).files;
