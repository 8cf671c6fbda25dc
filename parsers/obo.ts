// OBO 1.4 reader: streams a plain or gzip GO release into ingest.obo messages,
// one TERM per [Term] stanza (with its edges), then the release HEADER last
// with the term count (see schemas/ingest_obo.avsc).
//
// Rules (the README copies them):
// - header: the tag lines before the first stanza. format-version, data-version,
//   date and ontology are read wherever they stand in that block (go-nucleus.obo
//   has data-version as its last header line); default-namespace gives the
//   namespace of terms that have none (OBO 1.4).
// - obo_version (the release id, part of every key): the data-version value;
//   else the version the caller gives; else one derived from the content,
//   '<ontology>@sha256:<16 hex>' of the decompressed text (same file -> same
//   version, so producing it again changes nothing), with a note.
// - [Term]: id, name, namespace, def (the quoted text, unescaped, without the
//   dbxref list), is_obsolete, alt_id*, replaced_by*, consider*, and edges in
//   file order: 'is_a: X' -> relation is_a, 'relationship: <type> X' -> relation
//   <type> for every type (is_a, part_of, regulates, positively_regulates and
//   negatively_regulates are the GO DAG's; has_part, occurs_in, in_taxon, ... are
//   kept by name too; consumers pick). '! comments' and '{...}' trailing
//   modifiers are dropped; an edge qualified by gci_relation/gci_filler (a
//   conditional axiom, not a DAG edge) is skipped with a note.
//   intersection_of, union_of, equivalent_to, disjoint_from (logical
//   definitions), synonym, xref, subset, comment and property_value are ignored.
//   Terms of other namespaces or id spaces (BFO, CHEBI, NCBITaxon, ...) are kept
//   with their namespace (null when none); the aspect (P/F/C or null) is
//   derived later from the namespace.
// - a [Term] without an id is rejected (INPUT_INVALID) at its '[Term]' line.
// - [Typedef], [Instance] and unknown stanzas are skipped, one note each.
// - a line without 'tag:' inside a stanza is skipped with a note; blank lines
//   and lines starting with '!' are ignored.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IngestOboRecord, OboEdge } from '../schemas/generated/types.js';
import { KEYS } from '../topics/catalogue.js';
import { readLines } from './lines.js';
import { clip, withProgress } from './items.js';
import type { NoteItem, ReaderIterable, RecordItem, RejectItem } from './items.js';

/** The part of an IngestOboRecord the reader fills (the producer adds the job). */
export type OboRecordValue = Omit<IngestOboRecord, 'job_id'>;

export type OboItem = RecordItem<OboRecordValue> | RejectItem | NoteItem;

export interface OboReadOptions {
  /** name recorded as source_file and in rejects (default: the path as given) */
  sourceFile?: string;
  /** obo_url of the release (default: file:// URL of the path) */
  url?: string;
  /** obo_version when the file has no data-version header */
  version?: string;
}

/** Relation types of the GO DAG the pipeline walks (other types are kept by name). */
export const GO_DAG_RELATIONS = ['is_a', 'part_of', 'regulates', 'positively_regulates', 'negatively_regulates'] as const;

/** GO aspect of an OBO namespace: P, F, C, or null for any other namespace. */
export function aspectOf(namespace: string | null): 'P' | 'F' | 'C' | null {
  switch (namespace) {
    case 'biological_process':
      return 'P';
    case 'molecular_function':
      return 'F';
    case 'cellular_component':
      return 'C';
    default:
      return null;
  }
}

/** The value without an unescaped '!' comment, OBO escapes resolved, trimmed. */
export function stripComment(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      const n = value[++i]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'W' ? ' ' : n;
      continue;
    }
    if (c === '!') break;
    out += c;
  }
  return out.trim();
}

/** Splits an id-valued tag value into its tokens and trailing modifier text ('{...}'), comments dropped. */
function idTokens(value: string): { tokens: string[]; modifiers: string } {
  const v = stripComment(value);
  const brace = v.indexOf('{');
  const main = brace >= 0 ? v.slice(0, brace) : v;
  const modifiers = brace >= 0 ? v.slice(brace) : '';
  return { tokens: main.split(/\s+/).filter((t) => t.length > 0), modifiers };
}

/** The quoted text of a def: value, unescaped; the value itself (minus a trailing [..] list) when it is not quoted. */
export function parseDef(value: string): string {
  const v = value.trim();
  if (!v.startsWith('"')) return v.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && i + 1 < v.length) {
      const n = v[++i]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'W' ? ' ' : n;
      continue;
    }
    if (c === '"') return out;
    out += c;
  }
  return out; // no closing quote: the rest of the line
}

interface TermDraft {
  line: number;
  lines: string[];
  id: string | null;
  name: string | null;
  namespace: string | null;
  def: string | null;
  obsolete: boolean;
  altIds: string[];
  replacedBy: string[];
  consider: string[];
  edges: OboEdge[];
}

export function readObo(file: string, opts: OboReadOptions = {}): ReaderIterable<OboItem> {
  const lines = readLines(file);
  return withProgress(generate(file, lines, opts), lines);
}

async function contentVersion(file: string, ontology: string | null): Promise<string> {
  const h = createHash('sha256');
  for await (const { text } of readLines(file)) h.update(`${text}\n`);
  const digest = h.digest('hex').slice(0, 16);
  return ontology ? `${ontology}@sha256:${digest}` : `sha256:${digest}`;
}

async function* generate(file: string, lines: ReturnType<typeof readLines>, opts: OboReadOptions): AsyncGenerator<OboItem, void, undefined> {
  const sourceFile = opts.sourceFile ?? file;
  const url = opts.url ?? pathToFileURL(path.resolve(file)).href;
  const header = new Map<string, string>();
  let headerLine = 0;
  let inHeader = true;
  let version = '';
  let stanza: string | null = null;
  let stanzaLine = 0;
  let term: TermDraft | null = null;
  let terms = 0;

  const note = (line: number, message: string): NoteItem => ({ kind: 'note', file: sourceFile, line, message });

  function finishTerm(): OboItem | null {
    const t = term;
    term = null;
    if (t === null) return null;
    if (t.id === null) {
      return { kind: 'reject', file: sourceFile, line: t.line, code: 'INPUT_INVALID', field: 'id', reason: '[Term] stanza has no id', raw: clip(t.lines.join('\n')) };
    }
    terms++;
    const value: OboRecordValue = {
      kind: 'TERM',
      obo_version: version,
      obo_url: url,
      source_file: sourceFile,
      line: t.line,
      go_id: t.id,
      name: t.name,
      namespace: t.namespace ?? header.get('default-namespace') ?? null,
      definition: t.def,
      is_obsolete: t.obsolete,
      alt_ids: t.altIds,
      replaced_by: t.replacedBy,
      consider: t.consider,
      edges: t.edges,
      format_version: null,
      data_version: null,
      date: null,
      term_count: null,
    };
    return { kind: 'record', key: KEYS.ingestObo({ obo_version: version, go_id: t.id }), value };
  }

  for await (const { text, line } of lines) {
    const trimmed = text.trim();
    if (trimmed.length === 0 || trimmed.startsWith('!')) continue;
    const st = /^\[([^\]]*)\]\s*(?:!.*)?$/.exec(trimmed);
    if (st) {
      if (inHeader) {
        inHeader = false;
        const dataVersion = header.get('data-version');
        if (dataVersion !== undefined && dataVersion.length > 0) version = dataVersion;
        else if (opts.version !== undefined && opts.version.length > 0) version = opts.version;
        else {
          version = await contentVersion(file, header.get('ontology') ?? null);
          yield note(headerLine || 1, `no data-version header and no version given; obo_version derived from the content: ${version}`);
        }
      }
      const done = finishTerm();
      if (done) yield done;
      if (stanza !== null && stanza !== 'Term') yield note(stanzaLine, `[${stanza}] stanza skipped`);
      stanza = st[1]!.trim();
      stanzaLine = line;
      if (stanza === 'Term') {
        term = { line, lines: [text], id: null, name: null, namespace: null, def: null, obsolete: false, altIds: [], replacedBy: [], consider: [], edges: [] };
      }
      continue;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) {
      if (inHeader || stanza === 'Term') yield note(line, `line without 'tag:' skipped: ${JSON.stringify(clip(text, 80))}`);
      continue;
    }
    const tag = text.slice(0, colon).trim();
    const value = text.slice(colon + 1).trim();
    if (inHeader) {
      if (headerLine === 0) headerLine = line;
      if (!header.has(tag)) header.set(tag, stripComment(value));
      continue;
    }
    if (term === null) continue; // inside a skipped stanza
    term.lines.push(text);
    switch (tag) {
      case 'id':
        if (term.id === null) {
          const id = idTokens(value).tokens[0];
          if (id !== undefined) term.id = id;
        }
        break;
      case 'name':
        if (term.name === null) term.name = stripComment(value) || null;
        break;
      case 'namespace':
        if (term.namespace === null) term.namespace = stripComment(value) || null;
        break;
      case 'def':
        if (term.def === null) term.def = parseDef(value);
        break;
      case 'is_obsolete':
        term.obsolete = stripComment(value).toLowerCase() === 'true';
        break;
      case 'alt_id':
      case 'replaced_by':
      case 'consider': {
        const id = idTokens(value).tokens[0];
        if (id !== undefined) (tag === 'alt_id' ? term.altIds : tag === 'replaced_by' ? term.replacedBy : term.consider).push(id);
        break;
      }
      case 'is_a':
      case 'relationship': {
        const { tokens, modifiers } = idTokens(value);
        const relation = tag === 'is_a' ? 'is_a' : tokens[0];
        const parent = tag === 'is_a' ? tokens[0] : tokens[1];
        if (relation === undefined || parent === undefined) {
          yield note(line, `${tag} line without a target skipped`);
        } else if (/\bgci_(relation|filler)\b/.test(modifiers)) {
          yield note(line, `${relation} ${parent} edge with a gci qualifier (conditional axiom) skipped`);
        } else {
          term.edges.push({ relation, parent_go_id: parent });
        }
        break;
      }
      default:
        break;
    }
  }
  if (inHeader) {
    // a file with a header only (or nothing at all): still a release, with no term
    const dataVersion = header.get('data-version');
    version = dataVersion || opts.version || (await contentVersion(file, header.get('ontology') ?? null));
  }
  const done = finishTerm();
  if (done) yield done;
  if (stanza !== null && stanza !== 'Term') yield note(stanzaLine, `[${stanza}] stanza skipped`);
  if (terms === 0) yield note(headerLine || 1, 'the file holds no [Term] with an id');

  const headerValue: OboRecordValue = {
    kind: 'HEADER',
    obo_version: version,
    obo_url: url,
    source_file: sourceFile,
    line: headerLine || 1,
    go_id: null,
    name: null,
    namespace: null,
    definition: null,
    is_obsolete: false,
    alt_ids: [],
    replaced_by: [],
    consider: [],
    edges: [],
    format_version: header.get('format-version') ?? null,
    data_version: header.get('data-version') ?? null,
    date: header.get('date') ?? null,
    term_count: terms,
  };
  yield { kind: 'record', key: KEYS.ingestObo({ obo_version: version, go_id: null }), value: headerValue };
}
