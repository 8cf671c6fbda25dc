// FASTA header parsing: the accession (the FASTA parser's message key) and,
// for the dedup stage, the fields of a UniProt header.
//
// UniProt headers (https://www.uniprot.org/help/fasta-headers):
//   sp|P69905|HBA_HUMAN Hemoglobin subunit alpha OS=Homo sapiens OX=9606 GN=HBA1 PE=1 SV=2
//   tr|A0A024R161|A0A024R161_HUMAN Guanine nucleotide-binding protein subunit gamma OS=... OX=9606 GN=DNAJC25-GNG10 PE=3 SV=1
//   sp|P04637-2|P53_HUMAN Isoform 2 of Cellular tumor antigen p53 OS=Homo sapiens OX=9606 GN=TP53
// give accession, entry name, protein name (the text before the first tag),
// OS, OX (integer), GN, PE (integer), SV (integer), and reviewed (sp -> true,
// tr -> false). A tag's value runs to the next ' XX=' tag of the five, so an
// organism with parentheses or spaces ('Escherichia coli (strain K12)') is
// kept whole; a tag that is absent, or an OX/PE/SV that is not an integer,
// gives null.
// Any other header (CAFA targets 'T96060000001', '1abc_A', 'ENSP... desc'):
// accession = the first whitespace-delimited token; organism and taxonomy id
// from OS= / OX= tags when the description has them ('T100900000026 OX=10090':
// the feature enricher's taxonomy features need a taxon), every other field null.
// The accession may be empty (header '>' or 'sp||X'): the FASTA parser
// (fasta.ts) rejects such an entry, since it has no key.

export interface FastaHeaderFields {
  accession: string;
  entry_name: string | null;
  protein_name: string | null;
  organism: string | null;
  taxonomy_id: number | null;
  gene_name: string | null;
  protein_existence: number | null;
  sequence_version: number | null;
  /** true for 'sp|', false for 'tr|', null for other headers */
  reviewed: boolean | null;
}

export interface IsoformInfo {
  canonical_accession: string;
  is_canonical: boolean;
  isoform_index: number | null;
}

const TAG = /(?:^|\s)(OS|OX|GN|PE|SV)=/g;

function intOrNull(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

function emptyToNull(v: string | undefined): string | null {
  if (v === undefined) return null;
  const t = v.trim();
  return t.length > 0 ? t : null;
}

type Tag = 'OS' | 'OX' | 'GN' | 'PE' | 'SV';

/** The UniProt tags of a header's description; a tag's value runs to the next tag. */
function tagsOf(rest: string): { tags: Partial<Record<Tag, string>>; found: { tag: Tag; start: number; valueStart: number }[] } {
  const tags: Partial<Record<Tag, string>> = {};
  const found: { tag: Tag; start: number; valueStart: number }[] = [];
  TAG.lastIndex = 0;
  for (let m = TAG.exec(rest); m !== null; m = TAG.exec(rest)) {
    found.push({ tag: m[1] as Tag, start: m.index, valueStart: m.index + m[0].length });
  }
  for (let i = 0; i < found.length; i++) {
    const f = found[i]!;
    const end = i + 1 < found.length ? found[i + 1]!.start : rest.length;
    // the first occurrence of a tag wins (a later 'OS=' inside a name is not expected, but harmless)
    if (tags[f.tag] === undefined) tags[f.tag] = rest.slice(f.valueStart, end).trim();
  }
  return { tags, found };
}

/** Parses a FASTA header (without the leading '>'; a leading '>' is tolerated). */
export function parseFastaHeader(header: string): FastaHeaderFields {
  const h = (header.startsWith('>') ? header.slice(1) : header).trim();
  const ws = h.search(/\s/);
  const id = ws < 0 ? h : h.slice(0, ws);
  const rest = ws < 0 ? '' : h.slice(ws + 1).trim();

  const parts = id.split('|');
  const db = parts[0];
  const { tags, found } = tagsOf(rest);
  if ((db === 'sp' || db === 'tr') && parts.length >= 2) {
    const nameEnd = found.length > 0 ? found[0]!.start : rest.length;
    return {
      accession: (parts[1] ?? '').trim(),
      entry_name: emptyToNull(parts[2]),
      protein_name: emptyToNull(rest.slice(0, nameEnd)),
      organism: emptyToNull(tags.OS),
      taxonomy_id: intOrNull(tags.OX),
      gene_name: emptyToNull(tags.GN),
      protein_existence: intOrNull(tags.PE),
      sequence_version: intOrNull(tags.SV),
      reviewed: db === 'sp',
    };
  }
  return {
    accession: id,
    entry_name: null,
    protein_name: null,
    organism: emptyToNull(tags.OS),
    taxonomy_id: intOrNull(tags.OX),
    gene_name: null,
    protein_existence: null,
    sequence_version: null,
    reviewed: null,
  };
}

const ISOFORM = /^(.+)-([1-9]\d{0,8})$/;

/**
 * The isoform pattern '<canonical>-<n>' of the reference's Protein.parse_isoform:
 * n a positive integer without leading zeros ('P04637-2' -> P04637, isoform 2).
 * Anything else ('P04637', 'P04637-0', 'P04637-02', 'P04637-a', 'ABC-') is
 * canonical: canonical_accession = accession, isoform_index null.
 */
export function parseIsoform(accession: string): IsoformInfo {
  const m = ISOFORM.exec(accession);
  if (m) return { canonical_accession: m[1]!, is_canonical: false, isoform_index: Number(m[2]) };
  return { canonical_accession: accession, is_canonical: true, isoform_index: null };
}
