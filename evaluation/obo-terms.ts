// The terms of an OBO file (plain or gzip) as the evaluator needs them, read
// with the ingest OBO reader (parsers/obo.ts) so there is one parser.
// Which of them count (obsolete, namespace, edges) is buildOntology's business.
// One deliberate difference from the reference tool: a term without its own
// namespace line takes the header's default-namespace (OBO 1.4); the
// reference drops such terms. GO releases give every term a namespace.
import { ProteaError } from '../lib/errors.js';
import { readObo } from '../parsers/obo.js';
import type { OntologyTermInput } from './types.js';

export async function readOboTerms(file: string): Promise<OntologyTermInput[]> {
  const terms: OntologyTermInput[] = [];
  for await (const item of readObo(file, { version: 'evaluation' })) {
    if (item.kind === 'reject') {
      // a [Term] without an id: which term the stanza meant is unknown, so the
      // ontology cannot be trusted to be the one the user meant
      throw new ProteaError('EVALUATION_INPUT_INVALID', `${item.file}:${item.line}: ${item.reason}`, {
        file: item.file,
        line: item.line,
        ...(item.field !== undefined ? { field: item.field } : {}),
        hint: 'Fix the OBO file: every [Term] stanza needs an id line.',
      });
    }
    if (item.kind !== 'record' || item.value.kind !== 'TERM') continue;
    const v = item.value;
    const id = v.go_id;
    if (id === null) continue;
    const isA: string[] = [];
    const partOf: string[] = [];
    for (const e of v.edges) {
      if (e.relation === 'is_a') isA.push(e.parent_go_id);
      else if (e.relation === 'part_of') partOf.push(e.parent_go_id);
    }
    terms.push({ id, namespace: v.namespace, name: v.name, obsolete: v.is_obsolete, altIds: v.alt_ids, isA, partOf });
  }
  return terms;
}
