// FASTA header parsing and the reference's parse_isoform, on the real UniProt
// headers of shared/data and on edge cases.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseFastaHeader, parseIsoform } from '../../parsers/fasta-header.js';

const ECOLI = 'test/fixtures/data/uniprot-swissprot-samples/fantasia-ecoli-swissprot-33.fasta';
const MULTI = 'test/fixtures/data/uniprot-swissprot-samples/biopython/multi_ex.fasta';
const KAD = 'test/fixtures/data/cafa3-benchmark/sequences/kad-ecoli_target.9606.fasta';

const headers = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('>'))
    .map((l) => l.slice(1));

t.test('every real E. coli Swiss-Prot header', async (t) => {
  const hs = headers(ECOLI);
  t.equal(hs.length, 33);
  t.equal(hs.filter((h) => !/ SV=\d+$/.test(h)).length, 6, 'six cut headers');
  for (const h of hs) {
    const p = parseFastaHeader(h);
    t.match(p.accession, /^[A-Z0-9]{6,10}$/, `${p.accession}: accession`);
    t.equal(p.reviewed, true);
    t.match(p.entry_name, /_ECOLI$/);
    // six headers of this sample are wrapped onto a second line at 128 characters: their tail is cut
    if (!/ SV=\d+$/.test(h)) continue;
    t.equal(p.organism, 'Escherichia coli (strain K12)', `${p.accession}: OS with parentheses kept whole`);
    t.equal(p.taxonomy_id, 83333);
    t.ok(p.protein_name && !p.protein_name.includes('OS='), `${p.accession}: protein name stops before OS=`);
    t.ok(p.gene_name && !/\s/.test(p.gene_name), `${p.accession}: gene name ${p.gene_name}`);
  }
  t.same(parseFastaHeader(hs[0]!), {
    accession: 'A0A385XJL2',
    entry_name: 'YGDT_ECOLI',
    protein_name: 'Protein YgdT',
    organism: 'Escherichia coli (strain K12)',
    taxonomy_id: 83333,
    gene_name: 'ygdT',
    protein_existence: 4,
    sequence_version: 1,
    reviewed: true,
  });
  const rimi = parseFastaHeader(hs.find((h) => h.includes('RIMI_ECOLI'))!);
  t.equal(rimi.protein_name, '[Ribosomal protein bS18]-alanine N-acetyltransferase', 'brackets in the name');
  // headers of this sample that were wrapped onto a second line lose their tail: the tags that are there still parse
  const dicc = parseFastaHeader(hs.find((h) => h.includes('DICC_ECOLI'))!);
  t.same([dicc.gene_name, dicc.protein_existence, dicc.sequence_version], ['dicC', null, null], "'PE=' with the value cut off gives null");
});

t.test('the 8-record sample: headers without OX=, one without GN=', async (t) => {
  const ps = headers(MULTI).map(parseFastaHeader);
  t.equal(ps.length, 8);
  t.ok(ps.every((p) => p.taxonomy_id === null && p.reviewed === true && p.organism !== null));
  t.same(ps[1], {
    accession: 'P56540',
    entry_name: 'CBBQ_CHRVI',
    protein_name: 'Protein CbbQ (Fragment)',
    organism: 'Chromatium vinosum',
    taxonomy_id: null,
    gene_name: 'cbbQ',
    protein_existence: 3,
    sequence_version: 1,
    reviewed: true,
  });
  t.same([ps[5]?.organism, ps[5]?.gene_name, ps[5]?.protein_existence], ['Dendroaspis polylepis polylepis', null, 1]);
  t.equal(ps[6]?.protein_name, 'Granulins');
});

t.test('CAFA target headers (goPredSim and kad-ecoli styles): accession = first token, nothing else', async (t) => {
  const kad = headers(KAD);
  t.ok(kad.length > 100);
  for (const h of kad.slice(0, 50)) {
    const p = parseFastaHeader(h);
    t.match(p.accession, /^T9606\d+$/);
    t.same({ ...p, accession: '' }, { accession: '', entry_name: null, protein_name: null, organism: null, taxonomy_id: null, gene_name: null, protein_existence: null, sequence_version: null, reviewed: null });
  }
  t.equal(parseFastaHeader('T96060000019').accession, 'T96060000019');
});

t.test('any header may carry OX= and OS= (the taxon the feature enricher needs); other tags stay UniProt-only', async (t) => {
  t.same(parseFastaHeader('T100900000026 OX=10090'), { accession: 'T100900000026', entry_name: null, protein_name: null, organism: null, taxonomy_id: 10090, gene_name: null, protein_existence: null, sequence_version: null, reviewed: null });
  t.match(parseFastaHeader('>ENSP00000269305 tumor protein p53 OS=Homo sapiens OX=9606 GN=TP53'), { accession: 'ENSP00000269305', organism: 'Homo sapiens', taxonomy_id: 9606, gene_name: null, protein_name: null });
  t.equal(parseFastaHeader('Q1 OX=human').taxonomy_id, null, 'a taxon that is not an integer: null');
});

t.test('UniProt edge cases', async (t) => {
  t.same(parseFastaHeader('sp|P04637-2|P53_HUMAN Isoform 2 of Cellular tumor antigen p53 OS=Homo sapiens OX=9606 GN=TP53'), {
    accession: 'P04637-2',
    entry_name: 'P53_HUMAN',
    protein_name: 'Isoform 2 of Cellular tumor antigen p53',
    organism: 'Homo sapiens',
    taxonomy_id: 9606,
    gene_name: 'TP53',
    protein_existence: null,
    sequence_version: null,
    reviewed: true,
  });
  t.same(parseFastaHeader('>tr|A0A024R161|A0A024R161_HUMAN Guanine nucleotide-binding protein subunit gamma OS=Homo sapiens OX=9606 GN=DNAJC25-GNG10 PE=3 SV=1'), {
    accession: 'A0A024R161',
    entry_name: 'A0A024R161_HUMAN',
    protein_name: 'Guanine nucleotide-binding protein subunit gamma',
    organism: 'Homo sapiens',
    taxonomy_id: 9606,
    gene_name: 'DNAJC25-GNG10',
    protein_existence: 3,
    sequence_version: 1,
    reviewed: false,
  }, "tr| -> reviewed false; a leading '>' is tolerated");
  const os = parseFastaHeader('sp|Q9XYZ1|X_SALTY Protein X OS=Salmonella typhimurium (strain LT2 / SGSC1412 / ATCC 700720) OX=99287 PE=2 SV=1');
  t.same([os.organism, os.taxonomy_id, os.gene_name], ['Salmonella typhimurium (strain LT2 / SGSC1412 / ATCC 700720)', 99287, null], 'OS with parentheses and slashes; missing GN');
  const noName = parseFastaHeader('sp|P12345|');
  t.same([noName.accession, noName.entry_name, noName.protein_name, noName.reviewed], ['P12345', null, null, true]);
  const noOs = parseFastaHeader('sp|P12345|ABC_HUMAN Some protein');
  t.same([noOs.protein_name, noOs.organism], ['Some protein', null]);
  const badOx = parseFastaHeader('sp|P12345|ABC_HUMAN P OS=Homo sapiens OX=96x6 PE=one SV=');
  t.same([badOx.taxonomy_id, badOx.protein_existence, badOx.sequence_version], [null, null, null], 'non-integer OX/PE/SV give null');
  t.equal(parseFastaHeader('sp||NOACC_HUMAN x').accession, '', 'empty accession (the FASTA reader rejects it)');
  t.same(parseFastaHeader('sp|P12345|ABC_HUMAN OS=Homo sapiens OX=9606'), {
    accession: 'P12345',
    entry_name: 'ABC_HUMAN',
    protein_name: null,
    organism: 'Homo sapiens',
    taxonomy_id: 9606,
    gene_name: null,
    protein_existence: null,
    sequence_version: null,
    reviewed: true,
  }, 'no protein name before OS=');
});

t.test('non-UniProt headers: first whitespace token, everything else null', async (t) => {
  for (const [h, acc] of [
    ['ENSP00000354587.3 pep chromosome:GRCh38:1:1000:2000:1 gene:ENSG1', 'ENSP00000354587.3'],
    ['1ABC_A mol:protein length:10  LYSOZYME', '1ABC_A'],
    ['gi|123456|ref|NP_000537.3| cellular tumor antigen p53', 'gi|123456|ref|NP_000537.3|'],
    ['sp_P12345 not a UniProt id', 'sp_P12345'],
    ['sp', 'sp'],
    ['  padded\tid', 'padded'],
    ['', ''],
  ] as const) {
    const p = parseFastaHeader(h);
    t.equal(p.accession, acc, JSON.stringify(h));
    t.equal(p.reviewed, null);
    t.equal(p.protein_name, null);
    t.equal(p.organism, null);
  }
});

t.test('parseIsoform: <canonical>-<n>, n a positive integer; anything else canonical', async (t) => {
  t.same(parseIsoform('P04637'), { canonical_accession: 'P04637', is_canonical: true, isoform_index: null });
  t.same(parseIsoform('P04637-2'), { canonical_accession: 'P04637', is_canonical: false, isoform_index: 2 });
  t.same(parseIsoform('P04637-12'), { canonical_accession: 'P04637', is_canonical: false, isoform_index: 12 });
  t.same(parseIsoform('A0A024R161-1'), { canonical_accession: 'A0A024R161', is_canonical: false, isoform_index: 1 });
  t.same(parseIsoform('ABC-DEF-3'), { canonical_accession: 'ABC-DEF', is_canonical: false, isoform_index: 3 }, 'the last -<n> is the isoform');
  for (const a of ['P04637-0', 'P04637-02', 'P04637-a', 'P04637-', '-2', 'P04637-2a', 'P04637--2x', 'T96060000019', '']) {
    t.same(parseIsoform(a), { canonical_accession: a, is_canonical: true, isoform_index: null }, `${JSON.stringify(a)} is canonical`);
  }
});
