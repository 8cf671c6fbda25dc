// Deterministic synthetic inputs for the benchmarks: a Swiss-Prot-like FASTA
// and a GAF 2.2 over its accessions and the GO ids of demo/goslim_generic.obo.
// No Swiss-Prot dump or GOA file is available offline (DESIGN.md, Data), so
// the data is generated; the same seed always gives the same bytes.
//
// FASTA model (see bench/README.md for the numbers behind it):
// - lengths: log-normal, mu = ln(300) = 5.704, sigma = 0.60 (median 300,
//   mean ~358 residues, 99th percentile ~1,200, a tail to a few thousand),
//   clamped to [2, 35213] (Swiss-Prot's shortest entry and titin). The
//   parameters match the UniProtKB/Swiss-Prot release statistics (median ~300,
//   mean ~360); they are not a fit to a dump, which is not available here.
// - residues: the 20 standard amino acids drawn i.i.d. with the Swiss-Prot
//   amino-acid composition (AA_COMPOSITION below); 98% of canonical entries
//   start with M.
// - headers: `sp|ACC|MNEMO_SPECIES Name OS=... OX=... GN=... PE=n SV=n`, with
//   accessions of UniProt's two 6-character formats, organisms weighted like
//   Swiss-Prot's largest proteomes plus a long tail of other species.
// - ~5% isoform entries `ACC-2` (`ACC-3`, ...) right after their canonical
//   entry, UniProt's varsplic header (`Isoform 2 of ...`, no PE/SV), with a
//   sequence that differs from the canonical one (a deleted or replaced span).
// - ~10% entries whose sequence repeats an earlier one under another
//   accession (identical orthologs in other species, like histones).
// GAF model: GAF 2.2 rows grouped by protein (canonical and duplicate
// accessions; isoforms appear in column 17), a log-normal number of rows per
// protein, GO ids of the OBO with the aspect of their namespace and a
// qualifier that fits it, evidence codes with GOA-like frequencies and the
// references, with/from and assigned_by that go with each, dates in YYYYMMDD.
// Rows are distinct on the annotation's natural key (protein_go_annotation_natural_key).
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { PROJECT_ROOT } from '../lib/config.js';
import { benchMain, benchProgram, nonNegativeInt } from './cli.js';

// ── PRNG: xoshiro128** seeded through splitmix32 ────────────────────────────

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
  }

  /** 32 uniform bits. */
  u32(): number {
    const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c = (this.c ^ this.a) >>> 0;
    this.d = (this.d ^ this.b) >>> 0;
    this.b = (this.b ^ this.c) >>> 0;
    this.a = (this.a ^ this.d) >>> 0;
    this.c = (this.c ^ t) >>> 0;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Draws items by weight (cumulative table, binary search). */
export class Weighted<T> {
  private readonly cdf: number[] = [];
  private readonly items: T[] = [];

  constructor(entries: readonly (readonly [T, number])[]) {
    let total = 0;
    for (const [item, w] of entries) {
      total += w;
      this.items.push(item);
      this.cdf.push(total);
    }
    for (let i = 0; i < this.cdf.length; i++) this.cdf[i]! /= total;
  }

  draw(rng: Rng): T {
    const u = rng.next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

// ── sequences ───────────────────────────────────────────────────────────────

/** Amino-acid composition of UniProtKB/Swiss-Prot (release statistics, % of residues). */
export const AA_COMPOSITION: Readonly<Record<string, number>> = {
  A: 8.25, R: 5.53, N: 4.06, D: 5.46, C: 1.38, Q: 3.93, E: 6.72, G: 7.07, H: 2.27, I: 5.91,
  L: 9.65, K: 5.8, M: 2.41, F: 3.86, P: 4.74, S: 6.63, T: 5.36, W: 1.1, Y: 2.92, V: 6.86,
};

/** Log-normal length model (see the file comment). */
export const LENGTH_MODEL = { mu: Math.log(300), sigma: 0.6, min: 2, max: 35213 } as const;

// 4096-entry lookup: the top 12 bits of a uniform u32 pick a residue with the composition above.
const RESIDUE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(4096);
  const entries = Object.entries(AA_COMPOSITION);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  let slot = 0;
  for (const [aa, w] of entries) {
    acc += w;
    const end = Math.round((acc / total) * 4096);
    for (; slot < end; slot++) table[slot] = aa.charCodeAt(0);
  }
  for (; slot < 4096; slot++) table[slot] = 'L'.charCodeAt(0);
  return table;
})();

export function drawLength(rng: Rng): number {
  const l = Math.round(Math.exp(LENGTH_MODEL.mu + LENGTH_MODEL.sigma * rng.normal()));
  return Math.min(LENGTH_MODEL.max, Math.max(LENGTH_MODEL.min, l));
}

/** A random protein sequence of `length` residues (upper case, standard letters). */
export function randomSequence(rng: Rng, length: number, startWithMet = true): string {
  const buf = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buf[i] = RESIDUE_TABLE[rng.u32() >>> 20]!;
  if (startWithMet && length > 0) buf[0] = 77; // 'M'
  return buf.toString('latin1');
}

/** An isoform of `canonical`: a span deleted, or replaced by other residues; never equal to it. */
function isoformOf(rng: Rng, canonical: string): string {
  const n = canonical.length;
  if (n < 8) return canonical + randomSequence(rng, rng.range(3, 20), false);
  const spanLen = Math.max(1, Math.min(n - 2, rng.range(5, Math.max(6, Math.floor(n / 5)))));
  const start = rng.range(1, n - spanLen);
  const replacement = rng.chance(0.5) ? '' : randomSequence(rng, rng.range(3, 40), false);
  const out = canonical.slice(0, start) + replacement + canonical.slice(start + spanLen);
  return out === canonical || out.length < 2 ? canonical + 'W' : out;
}

export const md5 = (s: string): string => createHash('md5').update(s, 'latin1').digest('hex');

// ── names ───────────────────────────────────────────────────────────────────

interface Organism {
  os: string;
  ox: number;
  mnemonic: string;
  /** gene-name casing convention of the organism's database */
  genes: 'upper' | 'capital' | 'bacterial' | 'yeast' | 'lower';
}

// Swiss-Prot's largest proteomes (entries per organism, rounded), then a long tail.
const MAJOR_ORGANISMS: readonly (readonly [Organism, number])[] = [
  [{ os: 'Homo sapiens', ox: 9606, mnemonic: 'HUMAN', genes: 'upper' }, 20400],
  [{ os: 'Mus musculus', ox: 10090, mnemonic: 'MOUSE', genes: 'capital' }, 17200],
  [{ os: 'Arabidopsis thaliana', ox: 3702, mnemonic: 'ARATH', genes: 'upper' }, 16400],
  [{ os: 'Rattus norvegicus', ox: 10116, mnemonic: 'RAT', genes: 'capital' }, 8200],
  [{ os: 'Saccharomyces cerevisiae (strain ATCC 204508 / S288c)', ox: 559292, mnemonic: 'YEAST', genes: 'yeast' }, 6700],
  [{ os: 'Bos taurus', ox: 9913, mnemonic: 'BOVIN', genes: 'upper' }, 6000],
  [{ os: 'Schizosaccharomyces pombe (strain 972 / ATCC 24843)', ox: 284812, mnemonic: 'SCHPO', genes: 'lower' }, 5100],
  [{ os: 'Escherichia coli (strain K12)', ox: 83333, mnemonic: 'ECOLI', genes: 'bacterial' }, 4500],
  [{ os: 'Caenorhabditis elegans', ox: 6239, mnemonic: 'CAEEL', genes: 'lower' }, 4400],
  [{ os: 'Xenopus laevis', ox: 8355, mnemonic: 'XENLA', genes: 'lower' }, 4300],
  [{ os: 'Bacillus subtilis (strain 168)', ox: 224308, mnemonic: 'BACSU', genes: 'bacterial' }, 4200],
  [{ os: 'Oryza sativa subsp. japonica', ox: 39947, mnemonic: 'ORYSJ', genes: 'upper' }, 4100],
  [{ os: 'Dictyostelium discoideum', ox: 44689, mnemonic: 'DICDI', genes: 'lower' }, 3600],
  [{ os: 'Drosophila melanogaster', ox: 7227, mnemonic: 'DROME', genes: 'lower' }, 3600],
  [{ os: 'Danio rerio', ox: 7955, mnemonic: 'DANRE', genes: 'lower' }, 3300],
  [{ os: 'Gallus gallus', ox: 9031, mnemonic: 'CHICK', genes: 'upper' }, 2300],
  [{ os: 'Mycobacterium tuberculosis (strain ATCC 25618 / H37Rv)', ox: 83332, mnemonic: 'MYCTU', genes: 'bacterial' }, 2000],
  [{ os: 'Pongo abelii', ox: 9601, mnemonic: 'PONAB', genes: 'upper' }, 1500],
  [{ os: 'Sus scrofa', ox: 9823, mnemonic: 'PIG', genes: 'upper' }, 1500],
];

const TAIL_GENERA = [
  'Bacillus', 'Streptococcus', 'Staphylococcus', 'Pseudomonas', 'Salmonella', 'Shigella', 'Yersinia', 'Vibrio', 'Clostridium', 'Listeria',
  'Methanocaldococcus', 'Thermus', 'Synechocystis', 'Haemophilus', 'Helicobacter', 'Aspergillus', 'Candida', 'Neurospora', 'Plasmodium', 'Drosophila',
];
const TAIL_EPITHETS = ['cereus', 'pneumoniae', 'aureus', 'aeruginosa', 'typhimurium', 'flexneri', 'pestis', 'cholerae', 'botulinum', 'monocytogenes', 'jannaschii', 'thermophilus', 'fumigatus', 'albicans', 'crassa', 'falciparum', 'pseudoobscura', 'influenzae', 'pylori', 'sp.'];

/** The long tail: ~2,000 other species (~45% of Swiss-Prot entries). */
function tailOrganisms(): Organism[] {
  const out: Organism[] = [];
  let ox = 1_000_000;
  for (const genus of TAIL_GENERA) {
    for (const epithet of TAIL_EPITHETS) {
      for (let strain = 1; strain <= 5; strain++) {
        const mnemonic = (genus.slice(0, 3) + epithet.replace('.', '').slice(0, 2)).toUpperCase();
        out.push({ os: `${genus} ${epithet} (strain ${mnemonic}-${strain}${strain * 7})`, ox: ox++, mnemonic: `${mnemonic.slice(0, 4)}${strain}`, genes: 'bacterial' });
      }
    }
  }
  return out;
}

const PROTEIN_FAMILIES = [
  'Serine/threonine-protein kinase', 'ATP-dependent RNA helicase', 'Zinc finger protein', 'Transcription factor', '50S ribosomal protein L',
  '30S ribosomal protein S', 'Uncharacterized protein', 'Putative transporter', 'Cytochrome P450', 'Glutathione S-transferase',
  'E3 ubiquitin-protein ligase', 'Histone H2A', 'ABC transporter ATP-binding protein', 'DNA-directed RNA polymerase subunit', 'Heat shock protein',
  'Probable carboxylesterase', 'Tubulin beta chain', 'NADH dehydrogenase [ubiquinone] 1 alpha subcomplex subunit', 'Protein kinase C', 'Leucine-rich repeat-containing protein',
  'Pentatricopeptide repeat-containing protein', 'Probable ATP synthase subunit', 'Aminoacyl-tRNA synthetase', 'TRNA (guanine-N(7)-)-methyltransferase', 'Solute carrier family member',
  'G-protein coupled receptor', 'Homeobox protein', 'Kinesin-like protein', 'Peptidyl-prolyl cis-trans isomerase', 'Glyceraldehyde-3-phosphate dehydrogenase',
  'Chaperone protein', 'Elongation factor', 'Methionine aminopeptidase', 'Probable sugar kinase', 'Lipoprotein signal peptidase',
];
const NAME_PREFIXES = ['', '', '', '', 'Probable ', 'Putative ', 'Mitochondrial '];
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const ALNUM = LETTERS + DIGITS;

function geneName(rng: Rng, style: Organism['genes']): string {
  const stem = Array.from({ length: rng.range(3, 4) }, () => rng.pick([...LETTERS])).join('');
  const num = rng.range(1, 30);
  switch (style) {
    case 'upper':
      return `${stem}${num}`;
    case 'capital':
      return `${stem[0]}${stem.slice(1).toLowerCase()}${num}`;
    case 'yeast':
      return `${stem.slice(0, 3)}${num}`;
    case 'lower':
      return `${stem.toLowerCase()}-${num}`;
    case 'bacterial':
      return `${stem.slice(0, 3).toLowerCase()}${rng.pick([...LETTERS])}`;
  }
}

// ── FASTA ───────────────────────────────────────────────────────────────────

export interface FastaOptions {
  /** FASTA entries (canonical + isoform + duplicate) to write */
  sequences: number;
  seed: number;
  gzip?: boolean;
  /** share of isoform entries (default 0.05) */
  isoformRate?: number;
  /** share of entries repeating an earlier sequence under another accession (default 0.10) */
  duplicateRate?: number;
}

export interface LengthStats {
  min: number;
  median: number;
  mean: number;
  p90: number;
  p99: number;
  max: number;
}

export interface FastaManifest {
  file: string;
  gzip: boolean;
  seed: number;
  entries: number;
  canonical: number;
  isoforms: number;
  duplicates: number;
  /** distinct MD5s of the (already normalised) sequences: the sequence rows expected */
  distinctSequences: number;
  /** distinct accessions: the protein rows expected */
  distinctAccessions: number;
  residues: number;
  bytes: number;
  lengths: LengthStats;
  model: { lengthMu: number; lengthSigma: number; lengthMin: number; lengthMax: number; isoformRate: number; duplicateRate: number };
}

/** What the GAF generator needs of a protein of the FASTA. */
export interface GeneratedProtein {
  accession: string;
  gene: string;
  name: string;
  ox: number;
  /** its isoform accessions */
  isoforms: string[];
}

/** A writable that honours backpressure, plain or gzip, with the bytes written before compression. */
class Output {
  bytes = 0;
  private readonly file: ReturnType<typeof createWriteStream>;
  private readonly head: Writable;
  private pending = '';

  constructor(file: string, gzip: boolean) {
    this.file = createWriteStream(file);
    if (gzip) {
      const z = createGzip({ level: 6 });
      z.pipe(this.file);
      this.head = z;
    } else {
      this.head = this.file;
    }
  }

  async write(s: string): Promise<void> {
    this.pending += s;
    if (this.pending.length < 1 << 20) return;
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    this.bytes += chunk.length;
    if (!this.head.write(chunk, 'latin1')) await once(this.head, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.head.end();
    await once(this.file, 'close');
  }
}

function wrap60(seq: string): string {
  let out = '';
  for (let i = 0; i < seq.length; i += 60) out += `${seq.slice(i, i + 60)}\n`;
  return out;
}

function lengthStats(lengths: number[]): LengthStats {
  const s = Float64Array.from(lengths).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const sum = lengths.reduce((a, b) => a + b, 0);
  return { min: s[0] ?? 0, median: q(0.5), mean: Math.round(sum / Math.max(1, lengths.length)), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] ?? 0 };
}

/** UniProt accession, formats [OPQ][0-9][A-Z0-9]{3}[0-9] and [A-NR-Z][0-9][A-Z][A-Z0-9]{2}[0-9]. */
function accession(rng: Rng): string {
  if (rng.chance(0.45)) return `${rng.pick(['O', 'P', 'Q'])}${rng.pick([...DIGITS])}${rng.pick([...ALNUM])}${rng.pick([...ALNUM])}${rng.pick([...ALNUM])}${rng.pick([...DIGITS])}`;
  return `${rng.pick([...'ABCDEFGHIJKLMNRSTUVWXYZ'])}${rng.pick([...DIGITS])}${rng.pick([...LETTERS])}${rng.pick([...ALNUM])}${rng.pick([...ALNUM])}${rng.pick([...DIGITS])}`;
}

/**
 * Writes `opts.sequences` FASTA entries to `file`; returns the manifest (the
 * counts a benchmark expects in PostgreSQL) and the proteins for the GAF.
 */
export async function generateFasta(file: string, opts: FastaOptions): Promise<{ manifest: FastaManifest; proteins: GeneratedProtein[] }> {
  const rng = new Rng(opts.seed);
  const isoformRate = opts.isoformRate ?? 0.05;
  const duplicateRate = opts.duplicateRate ?? 0.1;
  const organisms = new Weighted<Organism>([
    ...MAJOR_ORGANISMS,
    // the tail shares ~45% of the entries evenly
    ...tailOrganisms().map((o) => [o, (0.45 / 0.55) * MAJOR_ORGANISMS.reduce((s, [, w]) => s + w, 0) / 2000] as const),
  ]);
  const pe = new Weighted<number>([[1, 30], [2, 55], [3, 13], [4, 1], [5, 1]]);
  const sv = new Weighted<number>([[1, 60], [2, 25], [3, 10], [4, 5]]);
  const out = new Output(file, opts.gzip ?? false);
  const accessions = new Set<string>();
  const hashes = new Set<string>();
  const lengths: number[] = [];
  const proteins: GeneratedProtein[] = [];
  // earlier sequences a duplicate may repeat (a window keeps memory bounded)
  const recent: { seq: string; name: string; gene: string }[] = [];
  const RECENT = 20_000;
  let last: { protein: GeneratedProtein; seq: string; entry: string; os: string; ox: number } | undefined;
  const m = { canonical: 0, isoforms: 0, duplicates: 0, residues: 0 };

  const newAccession = (): string => {
    for (;;) {
      const a = accession(rng);
      if (!accessions.has(a)) {
        accessions.add(a);
        return a;
      }
    }
  };
  const emit = async (header: string, seq: string) => {
    hashes.add(md5(seq));
    lengths.push(seq.length);
    m.residues += seq.length;
    await out.write(`>${header}\n${wrap60(seq)}`);
  };

  for (let i = 0; i < opts.sequences; i++) {
    const u = rng.next();
    if (u < isoformRate && last) {
      // an isoform of the previous canonical entry
      const n = last.protein.isoforms.length + 2;
      const acc = `${last.protein.accession}-${n}`;
      accessions.add(acc);
      last.protein.isoforms.push(acc);
      const seq = isoformOf(rng, last.seq);
      m.isoforms++;
      await emit(`sp|${acc}|${last.entry} Isoform ${n} of ${last.protein.name} OS=${last.os} OX=${last.ox} GN=${last.protein.gene}`, seq);
      continue;
    }
    const org = organisms.draw(rng);
    const acc = newAccession();
    let seq: string;
    let name: string;
    let gene: string;
    if (u < isoformRate + duplicateRate && recent.length > 0) {
      // an identical sequence under another accession (an ortholog in another species)
      const src = rng.pick(recent);
      seq = src.seq;
      name = src.name;
      gene = src.gene;
      m.duplicates++;
    } else {
      seq = randomSequence(rng, drawLength(rng), rng.chance(0.98));
      gene = geneName(rng, org.genes);
      const family = rng.pick(PROTEIN_FAMILIES);
      name = `${rng.pick(NAME_PREFIXES)}${family}${family.endsWith(' L') || family.endsWith(' S') ? rng.range(1, 36) : ` ${gene.toUpperCase()}`}`;
      m.canonical++;
      if (recent.length < RECENT) recent.push({ seq, name, gene });
      else recent[rng.int(RECENT)] = { seq, name, gene };
    }
    const entry = `${gene.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 5)}_${org.mnemonic}`;
    const protein: GeneratedProtein = { accession: acc, gene, name, ox: org.ox, isoforms: [] };
    proteins.push(protein);
    last = { protein, seq, entry, os: org.os, ox: org.ox };
    await emit(`sp|${acc}|${entry} ${name} OS=${org.os} OX=${org.ox} GN=${gene} PE=${pe.draw(rng)} SV=${sv.draw(rng)}`, seq);
  }
  await out.close();
  const manifest: FastaManifest = {
    file,
    gzip: opts.gzip ?? false,
    seed: opts.seed,
    entries: opts.sequences,
    canonical: m.canonical,
    isoforms: m.isoforms,
    duplicates: m.duplicates,
    distinctSequences: hashes.size,
    distinctAccessions: accessions.size,
    residues: m.residues,
    bytes: out.bytes,
    lengths: lengthStats(lengths),
    model: { lengthMu: LENGTH_MODEL.mu, lengthSigma: LENGTH_MODEL.sigma, lengthMin: LENGTH_MODEL.min, lengthMax: LENGTH_MODEL.max, isoformRate, duplicateRate },
  };
  return { manifest, proteins };
}

// ── GAF ─────────────────────────────────────────────────────────────────────

export interface GoTerm {
  id: string;
  aspect: 'F' | 'P' | 'C';
}

const ASPECT: Record<string, GoTerm['aspect']> = { molecular_function: 'F', biological_process: 'P', cellular_component: 'C' };
const ROOTS = new Set(['GO:0003674', 'GO:0008150', 'GO:0005575']);

/** Non-obsolete [Term]s of an OBO file with a GO namespace. */
export function readGoTerms(obo: string): GoTerm[] {
  const terms: GoTerm[] = [];
  for (const stanza of readFileSync(obo, 'utf8').split(/\n(?=\[)/)) {
    if (!stanza.startsWith('[Term]')) continue;
    const id = /^id: (GO:\d{7})\s*$/m.exec(stanza)?.[1];
    const ns = /^namespace: (\S+)/m.exec(stanza)?.[1];
    if (!id || !ns || /^is_obsolete: true/m.test(stanza)) continue;
    const aspect = ASPECT[ns];
    if (aspect) terms.push({ id, aspect });
  }
  return terms;
}

export interface GafOptions {
  rows: number;
  seed: number;
  obo?: string;
  gzip?: boolean;
  /** the annotation release date; IEA dates fall in the 8 weeks before it (default 2024-11-01) */
  releaseDate?: string;
}

export interface GafManifest {
  file: string;
  gzip: boolean;
  seed: number;
  rows: number;
  proteins: number;
  goTerms: number;
  obo: string;
  evidence: Record<string, number>;
  aspects: Record<string, number>;
  notQualified: number;
  bytes: number;
}

const QUALIFIERS: Record<GoTerm['aspect'], Weighted<string>> = {
  F: new Weighted([['enables', 95], ['contributes_to', 5]]),
  P: new Weighted([['involved_in', 88], ['acts_upstream_of_or_within', 8], ['acts_upstream_of', 2], ['acts_upstream_of_positive_effect', 1], ['acts_upstream_of_negative_effect', 1]]),
  C: new Weighted([['located_in', 70], ['part_of', 18], ['is_active_in', 10], ['colocalizes_with', 2]]),
};

// GOA-like evidence mix for reviewed proteins.
const EVIDENCE = new Weighted<string>([
  ['IEA', 50], ['IBA', 12], ['IDA', 8], ['ISS', 5], ['ISO', 5], ['IPI', 5], ['IMP', 4], ['HDA', 3], ['TAS', 2], ['NAS', 1], ['IEP', 1], ['IGI', 1], ['HMP', 0.5], ['EXP', 0.5], ['ND', 1],
]);
const IEA_SOURCES: readonly { ref: string; with: (rng: Rng) => string; by: string }[] = [
  { ref: 'GO_REF:0000002', with: (r) => `InterPro:IPR${String(r.range(1, 45000)).padStart(6, '0')}`, by: 'InterPro' },
  { ref: 'GO_REF:0000043', with: (r) => `UniProtKB-KW:KW-${String(r.range(1, 1300)).padStart(4, '0')}`, by: 'UniProt' },
  { ref: 'GO_REF:0000044', with: (r) => `UniProtKB-SubCell:SL-${String(r.range(1, 500)).padStart(4, '0')}`, by: 'UniProt' },
  { ref: 'GO_REF:0000104', with: (r) => `UniRule:UR${String(r.range(1, 600000)).padStart(9, '0')}`, by: 'UniProt' },
  { ref: 'GO_REF:0000117', with: (r) => `ARBA:ARBA${String(r.range(1, 30000)).padStart(8, '0')}`, by: 'ARBA' },
  { ref: 'GO_REF:0000107', with: (r) => `Ensembl:ENSP${String(r.range(1, 999999)).padStart(11, '0')}`, by: 'Ensembl' },
];
const CURATORS = ['UniProt', 'MGI', 'RGD', 'TAIR', 'SGD', 'PomBase', 'FlyBase', 'WormBase', 'ZFIN', 'dictyBase', 'BHF-UCL', 'IntAct', 'CAFA', 'ParkinsonsUK-UCL', 'EcoCyc'];
const EXTENSIONS = ['occurs_in(GO:0005634)', 'occurs_in(GO:0005737)', 'part_of(UBERON:0002107)', 'occurs_in(CL:0000019)', 'has_input(UniProtKB:P04637)', 'happens_during(GO:0000278)'];

function yyyymmdd(d: Date): string {
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}

/**
 * Writes `opts.rows` GAF 2.2 rows over `proteins` (the FASTA's canonical and
 * duplicate accessions) and the GO terms of the OBO file.
 */
export async function generateGaf(file: string, proteins: readonly GeneratedProtein[], opts: GafOptions): Promise<GafManifest> {
  if (proteins.length === 0) throw new Error('generateGaf: no proteins');
  const rng = new Rng(opts.seed ^ 0x6a09e667);
  const obo = opts.obo ?? path.join(PROJECT_ROOT, 'demo', 'goslim_generic.obo');
  const all = readGoTerms(obo);
  const terms = all.filter((t) => !ROOTS.has(t.id));
  const roots = all.filter((t) => ROOTS.has(t.id));
  if (terms.length === 0) throw new Error(`no GO terms in ${obo}`);
  const release = new Date(`${opts.releaseDate ?? '2024-11-01'}T00:00:00Z`).getTime();
  const DAY = 86_400_000;
  const firstManual = Date.UTC(2002, 0, 1);
  const out = new Output(file, opts.gzip ?? false);
  await out.write(`!gaf-version: 2.2\n!generated-by: PROTEA-stream bench/generate.ts (synthetic, seed ${opts.seed})\n!date-generated: ${new Date(release).toISOString().slice(0, 10)}\n!\n`);
  // rows per protein: log-normal with mean rows/proteins * 1.15 (one pass always reaches `rows`)
  const mean = (opts.rows / proteins.length) * 1.15;
  const SIGMA = 0.9;
  const manifest: GafManifest = { file, gzip: opts.gzip ?? false, seed: opts.seed, rows: 0, proteins: 0, goTerms: all.length, obo, evidence: {}, aspects: {}, notQualified: 0, bytes: 0 };
  let rows = 0;
  for (let p = 0; p < proteins.length && rows < opts.rows; p++) {
    const prot = proteins[p]!;
    const k = Math.max(1, Math.round(mean * Math.exp(SIGMA * rng.normal() - (SIGMA * SIGMA) / 2)));
    const keys = new Set<string>();
    let lines = '';
    for (let j = 0; j < k * 3 && keys.size < k && rows < opts.rows; j++) {
      const evidence = EVIDENCE.draw(rng);
      const term = evidence === 'ND' ? rng.pick(roots.length > 0 ? roots : terms) : rng.pick(terms);
      let qualifier = QUALIFIERS[term.aspect].draw(rng);
      let ref: string;
      let withFrom = '';
      let by: string;
      let date: number;
      if (evidence === 'IEA') {
        const src = rng.pick(IEA_SOURCES);
        ref = src.ref;
        withFrom = src.with(rng);
        by = src.by;
        date = release - rng.int(56) * DAY;
      } else {
        date = firstManual + rng.int(Math.floor((release - firstManual) / DAY)) * DAY;
        by = rng.pick(CURATORS);
        switch (evidence) {
          case 'IBA':
            ref = 'GO_REF:0000033';
            withFrom = `PANTHER:PTN${String(rng.range(1, 3_000_000)).padStart(9, '0')}|UniProtKB:${rng.pick(proteins).accession}`;
            by = 'GO_Central';
            break;
          case 'ISS':
            ref = 'GO_REF:0000024';
            withFrom = `UniProtKB:${rng.pick(proteins).accession}`;
            by = 'UniProt';
            break;
          case 'ISO':
            ref = 'GO_REF:0000119';
            withFrom = `UniProtKB:${rng.pick(proteins).accession}`;
            by = rng.pick(['MGI', 'RGD', 'UniProt']);
            break;
          case 'IPI':
            ref = `PMID:${rng.range(1_000_000, 39_999_999)}`;
            withFrom = `UniProtKB:${rng.pick(proteins).accession}`;
            break;
          case 'ND':
            ref = 'GO_REF:0000015';
            break;
          case 'TAS':
          case 'NAS':
            ref = `PMID:${rng.range(1_000_000, 20_000_000)}`;
            break;
          default:
            ref = `PMID:${rng.range(1_000_000, 39_999_999)}`;
        }
        if (evidence !== 'ND' && rng.chance(0.02)) qualifier = `NOT|${qualifier}`;
      }
      const extension = evidence !== 'IEA' && rng.chance(0.03) ? rng.pick(EXTENSIONS) : '';
      const form = prot.isoforms.length > 0 && evidence !== 'IEA' && rng.chance(0.05) ? `UniProtKB:${rng.pick(prot.isoforms)}` : '';
      const key = `${term.id}\t${qualifier}\t${evidence}\t${ref}\t${withFrom}\t${by}\t${extension}\t${form}`;
      if (keys.has(key)) continue;
      keys.add(key);
      rows++;
      if (qualifier.startsWith('NOT|')) manifest.notQualified++;
      manifest.evidence[evidence] = (manifest.evidence[evidence] ?? 0) + 1;
      manifest.aspects[term.aspect] = (manifest.aspects[term.aspect] ?? 0) + 1;
      const synonym = `${prot.gene}|${prot.gene.toUpperCase()}L`;
      lines += `UniProtKB\t${prot.accession}\t${prot.gene}\t${qualifier}\t${term.id}\t${ref}\t${evidence}\t${withFrom}\t${term.aspect}\t${prot.name}\t${synonym}\tprotein\ttaxon:${prot.ox}\t${yyyymmdd(new Date(date))}\t${by}\t${extension}\t${form}\n`;
    }
    manifest.proteins++;
    await out.write(lines);
  }
  await out.close();
  if (rows < opts.rows) throw new Error(`generateGaf: only ${rows} of ${opts.rows} rows over ${proteins.length} proteins; generate more sequences`);
  manifest.rows = rows;
  manifest.bytes = out.bytes;
  return manifest;
}

// ── command line ────────────────────────────────────────────────────────────

export interface GeneratedInputs {
  dir: string;
  fasta: FastaManifest;
  proteins: GeneratedProtein[];
  gaf?: GafManifest;
}

/** Both files into `dir` (fasta.fasta[.gz], annotations.gaf[.gz]); no GAF when gafRows is 0. */
export async function generateAll(dir: string, opts: { sequences: number; gafRows: number; seed: number; gzip: boolean }): Promise<GeneratedInputs> {
  await mkdir(dir, { recursive: true });
  const ext = opts.gzip ? '.gz' : '';
  const { manifest, proteins } = await generateFasta(path.join(dir, `swissprot-like.fasta${ext}`), { sequences: opts.sequences, seed: opts.seed, gzip: opts.gzip });
  const gaf = opts.gafRows > 0 ? await generateGaf(path.join(dir, `goa-like.gaf${ext}`), proteins, { rows: opts.gafRows, seed: opts.seed, gzip: opts.gzip }) : undefined;
  return { dir, fasta: manifest, proteins, ...(gaf ? { gaf } : {}) };
}

const program = benchProgram('generate', 'write the synthetic FASTA and GAF the ingest benchmarks read (deterministic: the same seed gives the same bytes)')
  .option('--out <dir>', 'output folder (default: .protea/bench-data)')
  .option('--sequences <n>', 'FASTA entries', nonNegativeInt, 200_000)
  .option('--gaf-rows <n>', 'GAF rows (0: no GAF)', nonNegativeInt, 1_000_000)
  .option('--seed <s>', 'seed', nonNegativeInt, 42)
  .option('--gzip', 'write gzip files');

async function main(o: { out?: string; sequences: number; gafRows: number; seed: number; gzip?: boolean }): Promise<void> {
  const dir = o.out ?? path.join(PROJECT_ROOT, '.protea', 'bench-data');
  const t0 = Date.now();
  const res = await generateAll(dir, { sequences: o.sequences, gafRows: o.gafRows, seed: o.seed, gzip: o.gzip === true });
  process.stdout.write(`${JSON.stringify({ fasta: res.fasta, gaf: res.gaf ?? null, seconds: (Date.now() - t0) / 1000 }, null, 2)}\n`);
}

benchMain(import.meta.url, program, main);
