// Inputs of the whole-pipeline chaos test, generated from a seed: FASTA files
// (synthetic proteins, some sequences repeated under other accessions so the
// dedup stage has work, a few deliberately bad entries) and GAF files pinned
// to a small GO release (rows on its terms, a few deliberately bad rows),
// with what each must become: rows, distinct keys and dead letters.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { seededRandom } from './seeded-random.js';

/** A dead letter the run must produce: its topic id and the file and line it names. */
export interface ExpectedLetter {
  dlq: 'dlq.ingest' | 'dlq.dedup' | 'dlq.sinks';
  file: string;
  line: number;
  code: string;
}

export interface FastaFile {
  file: string;
  /** entries the producer sends (good and dedup-rejected), i.e. the job's total */
  sent: number;
  querySet?: string;
}

export interface GafFile {
  file: string;
  version: string;
  sent: number;
}

export interface ChaosInputs {
  oboFile: string;
  oboVersion: string;
  /** terms of the release (go_term rows) */
  oboTerms: number;
  fasta: FastaFile[];
  gaf: GafFile[];
  /** accessions that must have a protein row */
  accessions: Set<string>;
  /** MD5 of every sequence that must have a sequence row; generated sequences are already normal, so the MD5 of the text */
  sequences: Set<string>;
  /** accessions of the query set's good entries */
  querySetAccessions: Set<string>;
  /** protein_go_annotation rows (every good GAF row has a natural key of its own) */
  annotations: number;
  letters: ExpectedLetter[];
}

const RESIDUES = 'ACDEFGHIKLMNPQRSTVWY';

/** The non-obsolete [Term] stanzas of an OBO file: id and namespace. */
export function oboTerms(file: string): { id: string; aspect: 'P' | 'F' | 'C' }[] {
  const aspects: Record<string, 'P' | 'F' | 'C'> = { biological_process: 'P', molecular_function: 'F', cellular_component: 'C' };
  const out: { id: string; aspect: 'P' | 'F' | 'C' }[] = [];
  for (const stanza of fs.readFileSync(file, 'utf8').split(/\n(?=\[)/)) {
    if (!stanza.startsWith('[Term]')) continue;
    const id = /^id: (GO:\d{7})$/m.exec(stanza)?.[1];
    const ns = /^namespace: (\w+)$/m.exec(stanza)?.[1];
    if (!id || !ns || /^is_obsolete: true$/m.test(stanza)) continue;
    out.push({ id, aspect: aspects[ns]! });
  }
  return out;
}

export interface GenerateOptions {
  dir: string;
  seed: number;
  oboFile: string;
  oboVersion: string;
  fastaFiles: number;
  fastaPerFile: number;
  gafFiles: number;
  gafPerFile: number;
  /** the first FASTA file is produced as this query set */
  querySet: string;
}

export function generateInputs(o: GenerateOptions): ChaosInputs {
  const r = seededRandom(o.seed);
  const md5 = (s: string) => createHashHex(s);
  const out: ChaosInputs = {
    oboFile: o.oboFile,
    oboVersion: o.oboVersion,
    oboTerms: 0,
    fasta: [],
    gaf: [],
    accessions: new Set(),
    sequences: new Set(),
    querySetAccessions: new Set(),
    annotations: 0,
    letters: [],
  };
  const terms = oboTerms(o.oboFile);
  out.oboTerms = (fs.readFileSync(o.oboFile, 'utf8').match(/^\[Term\]$/gm) ?? []).length;
  const pool: string[] = [];
  let n = 0;
  for (let f = 0; f < o.fastaFiles; f++) {
    const file = path.join(o.dir, `chaos-${f + 1}.fasta`);
    const lines: string[] = [];
    // line 1: text before the first '>' is a reader reject (dlq.ingest)
    lines.push('this line is not FASTA');
    out.letters.push({ dlq: 'dlq.ingest', file, line: 1, code: 'PROTEA_ERR_INPUT_INVALID' });
    // two entries per file whose sequence holds a digit: dedup rejects them (dlq.dedup)
    const bad = new Set([r.int(0, o.fastaPerFile - 1), r.int(0, o.fastaPerFile - 1)]);
    let sent = 0;
    for (let i = 0; i < o.fastaPerFile; i++) {
      n++;
      const accession = `CHX${String(n).padStart(7, '0')}`;
      let seq: string;
      if (pool.length > 0 && r.next() < 0.08) seq = r.pick(pool); // the same sequence under another accession
      else {
        const len = r.int(30, 160);
        let s = '';
        for (let k = 0; k < len; k++) s += RESIDUES[Math.floor(r.next() * 20)];
        seq = s;
        pool.push(s);
      }
      const headerLine = lines.length + 1;
      lines.push(`>${accession} chaos protein ${n}`);
      sent++;
      if (bad.has(i)) {
        const at = r.int(1, seq.length - 1);
        lines.push(`${seq.slice(0, at)}7${seq.slice(at)}`);
        out.letters.push({ dlq: 'dlq.dedup', file, line: headerLine, code: 'PROTEA_ERR_SEQUENCE_INVALID' });
        continue;
      }
      for (let k = 0; k < seq.length; k += 60) lines.push(seq.slice(k, k + 60));
      out.accessions.add(accession);
      out.sequences.add(md5(seq));
      if (f === 0) out.querySetAccessions.add(accession);
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    out.fasta.push({ file, sent, ...(f === 0 ? { querySet: o.querySet } : {}) });
  }
  let ref = 0;
  for (let f = 0; f < o.gafFiles; f++) {
    const file = path.join(o.dir, `chaos-${f + 1}.gaf`);
    const lines = ['!gaf-version: 2.2', '!generated by the chaos test'];
    const short = r.int(0, o.gafPerFile - 1);
    const unknown = new Set([r.int(0, o.gafPerFile - 1), r.int(0, o.gafPerFile - 1)]);
    unknown.delete(short);
    let sent = 0;
    for (let i = 0; i < o.gafPerFile; i++) {
      const line = lines.length + 1;
      if (i === short) {
        // 5 columns: the reader rejects it (dlq.ingest)
        lines.push(`UniProtKB\tCHX0000001\tSYM\tenables\tGO:0003674`);
        out.letters.push({ dlq: 'dlq.ingest', file, line, code: 'PROTEA_ERR_INPUT_INVALID' });
        continue;
      }
      const term = r.pick(terms);
      const goId = unknown.has(i) ? 'GO:9999999' : term.id;
      ref++;
      const acc = `CHX${String(r.int(1, Math.max(1, n))).padStart(7, '0')}`;
      const qualifier = term.aspect === 'F' ? 'enables' : term.aspect === 'C' ? 'located_in' : 'involved_in';
      // a reference of its own per row: every row is a natural key of its own
      lines.push(['UniProtKB', acc, `SYM${ref}`, qualifier, goId, `PMID:${1_000_000 + ref}`, 'IDA', '', term.aspect, `chaos protein ${acc}`, '', 'protein', 'taxon:9606', '20240101', 'UniProt', '', ''].join('\t'));
      sent++;
      if (unknown.has(i)) out.letters.push({ dlq: 'dlq.sinks', file, line, code: 'PROTEA_ERR_ONTOLOGY_TERM_UNKNOWN' });
      else out.annotations++;
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    out.gaf.push({ file, version: `chaos-${f + 1}`, sent });
  }
  return out;
}

function createHashHex(s: string): string {
  return createHash('md5').update(s).digest('hex');
}
