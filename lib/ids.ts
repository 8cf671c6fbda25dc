// Identifiers: UUIDv7 (time-ordered) for jobs, sets and events, as in the database defaults.
import { v7 } from 'uuid';

export function uuidv7(): string {
  return v7();
}
