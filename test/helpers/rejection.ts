// The ProteaError a promise rejects with, for tests of refusals.
import type { Test } from 'tap';
import { ProteaError } from '../../lib/errors.js';

/** The rejection of `p` as a ProteaError (fails the test when it resolves). */
export async function rejection(t: Test, p: Promise<unknown>): Promise<ProteaError> {
  try {
    await p;
  } catch (err) {
    t.type(err, ProteaError);
    return err as ProteaError;
  }
  t.fail('expected a rejection');
  return new ProteaError('INTERNAL', 'resolved');
}
