#!/usr/bin/python3
"""Smith-Waterman best non-self hit of every CAFA3 target (the reference the
k-mer backend's nearest neighbours are measured against; not run in CI).

Needs Debian's python3-parasail (apt-get install python3-parasail) and numpy;
run with /usr/bin/python3:

    /usr/bin/python3 bench/sw-best-hits.py \
        test/fixtures/data/cafa3-benchmark/sequences/gopredsim_cafa3_targets.fasta \
        bench/fixtures/cafa3-sw-best-hits.tsv.gz [--workers 2] [--limit N]

Scoring: BLOSUM62, gap open 11, gap extend 1 (parasail's convention: a gap of
length n costs 11 + (n-1)*1, BLAST's default), local alignment. Scores come
from parasail's striped 16-bit profile kernel; a saturated result (score
>= 32767) is recomputed with the 32-bit kernel. SW scores are symmetric, so
only pairs i < j are aligned (all vs all, 5.5 M pairs). U and O, absent from
BLOSUM62, are aligned as X. For each target: its best-scoring other target
(ties: every target with the top score, the first in file order listed first),
that score, and the identity of the best alignment (identical positions /
alignment length, from a traceback of the first best pair) -- once among all
the other targets (reference set `all`) and once per GO namespace among the
other targets annotated there (MFO, BPO, CCO: leafonly_<ns>.is_a), which is
what a leave-one-out best-hit transfer needs. Self scores (for normalised
scores, score / self score) are listed once per target.

Output (gzipped TSV, in file order; '#' lines are comments):
    target  self_score  refset  best_score  best_hits(comma-separated)  identity  align_len  top_hits
top_hits (refset `all` only, else '-'): the 10 best-scoring other targets,
best first (ties: file order), as id:score, comma-separated.
"""
import argparse
import gzip
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import parasail

GAP_OPEN = 11
GAP_EXTEND = 1
MATRIX = parasail.blosum62


def read_fasta(path):
    ids, seqs, cur = [], [], []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line.startswith('>'):
                if ids:
                    seqs.append(''.join(cur))
                ids.append(line[1:].split()[0])
                cur = []
            elif line:
                cur.append(line.upper())
    if ids:
        seqs.append(''.join(cur))
    return ids, [s.replace('U', 'X').replace('O', 'X') for s in seqs]


_SEQS = None


def _init(seqs):
    global _SEQS
    _SEQS = seqs


def _row(i):
    """Scores of target i against every target j > i (and its self score)."""
    seqs = _SEQS
    q = seqs[i]
    prof = parasail.profile_create_16(q, MATRIX)
    out = np.zeros(len(seqs) - i - 1, dtype=np.int32)
    for j in range(i + 1, len(seqs)):
        r = parasail.sw_striped_profile_16(prof, seqs[j], GAP_OPEN, GAP_EXTEND)
        s = r.score
        if r.saturated:
            s = parasail.sw_striped_32(q, seqs[j], GAP_OPEN, GAP_EXTEND, MATRIX).score
        out[j - i - 1] = s
    self_score = parasail.sw_striped_32(q, q, GAP_OPEN, GAP_EXTEND, MATRIX).score
    return i, self_score, out


def read_annotated(gt_dir):
    sets = {}
    for ns in ('MFO', 'BPO', 'CCO'):
        with open(f'{gt_dir}/leafonly_{ns}.is_a') as fh:
            sets[ns] = {line.split('\t')[0] for line in fh if line.strip()}
    return sets


def _identity(pair):
    i, j = pair
    r = parasail.sw_trace_striped_32(_SEQS[i], _SEQS[j], GAP_OPEN, GAP_EXTEND, MATRIX)
    tb = r.traceback
    length = len(tb.comp)
    same = tb.comp.count('|')
    return i, same / length if length else 0.0, length


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('fasta')
    ap.add_argument('groundtruth', help='folder with leafonly_{MFO,BPO,CCO}.is_a')
    ap.add_argument('out')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--limit', type=int, default=0, help='only the first N targets (timing trials)')
    ap.add_argument('--matrix', help='cache of the full score matrix (.npy): read when it exists, else written')
    a = ap.parse_args()
    ids, seqs = read_fasta(a.fasta)
    if a.limit:
        ids, seqs = ids[:a.limit], seqs[:a.limit]
    n = len(seqs)
    annotated = read_annotated(a.groundtruth)
    t0 = time.time()
    with mp.Pool(a.workers, initializer=_init, initargs=(seqs,)) as pool:
        cached = bool(a.matrix and os.path.exists(a.matrix))
        if cached:
            scores = np.load(a.matrix)
            self_scores = scores.diagonal().copy()
        else:
            scores = np.zeros((n, n), dtype=np.int32)
            self_scores = np.zeros(n, dtype=np.int32)
            done = 0
            for i, ss, row in pool.imap_unordered(_row, range(n), chunksize=4):
                self_scores[i] = ss
                scores[i, i + 1:] = row
                scores[i + 1:, i] = row
                done += 1
                if done % 200 == 0:
                    print(f'{done}/{n} rows, {time.time() - t0:.0f}s', file=sys.stderr, flush=True)
            np.fill_diagonal(scores, self_scores)
            if a.matrix:
                np.save(a.matrix, scores)
        align_s = time.time() - t0
        masked = scores.copy()
        np.fill_diagonal(masked, -1)
        results = {}
        for refset in ('all', 'MFO', 'BPO', 'CCO'):
            m = masked
            if refset != 'all':
                keep = np.array([t in annotated[refset] for t in ids])
                m = np.where(keep[None, :], masked, -1)
            best = m.max(axis=1)
            first = m.argmax(axis=1)
            pairs = [(i, int(first[i])) for i in range(n)]
            ident = dict((i, (idn, ln)) for i, idn, ln in pool.imap_unordered(_identity, pairs, chunksize=16))
            results[refset] = (m, best, ident)
    el = time.time() - t0
    with gzip.open(a.out, 'wt') as fh:
        fh.write('# Smith-Waterman best non-self hits of the CAFA3 targets: BLOSUM62, gap open 11 extend 1, parasail '
                 f'{parasail.__version__} striped 16-bit profile (saturated -> 32-bit), {n} targets all vs all '
                 f'({n * (n - 1) // 2} pairs), ' + (f'scores read from the cached matrix {a.matrix}' if cached else f'{align_s:.0f}s of alignment on {a.workers} workers') + f', {el:.0f}s in all\n')
        fh.write('# written by bench/sw-best-hits.py; refset: all = every other target, MFO/BPO/CCO = the other targets '
                 'annotated in that namespace\n')
        fh.write('target\tself_score\trefset\tbest_score\tbest_hits\tidentity\talign_len\ttop_hits\n')
        top = np.argsort(-masked, axis=1, kind='stable')[:, :10]
        for i in range(n):
            for refset, (m, best, ident) in results.items():
                hits = np.flatnonzero(m[i] == best[i])
                tops = ','.join(f'{ids[j]}:{masked[i, j]}' for j in top[i]) if refset == 'all' else '-'
                fh.write(f'{ids[i]}\t{self_scores[i]}\t{refset}\t{best[i]}\t{",".join(ids[h] for h in hits)}\t'
                         f'{ident[i][0]:.4f}\t{ident[i][1]}\t{tops}\n')
    print(f'{n} targets, {n * (n - 1) // 2} pairs, alignment {align_s:.1f}s, all {el:.1f}s', file=sys.stderr)


if __name__ == '__main__':
    main()
