// Identifiers: UUIDv7 (time-ordered) for jobs, sets and events, as in the database defaults.
import { v7 } from 'uuid';

export function uuidv7(): string {
  return v7();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its text form (any version, any case). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
