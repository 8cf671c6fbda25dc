// PROTEA-stream's binding to Debian's libparasail (BLOSUM62, affine gaps).
// Two entry points, both synchronous (callers run them in worker threads):
//   align(a, b, global) -> [score, matches, positives, gaps, length]
//     full statistics from a traceback (parasail_{sw,nw}_trace_striped_sat and
//     its CIGAR): O(|a|*|b|) trace memory, used for single pairs and best hits.
//   scoreAll(query, refBytes, refOffsets, out) -> void
//     Smith-Waterman scores of one query against many references with one
//     saturation-checking query profile (8 -> 16 -> 32 bit), O(|a|) memory.
// Sequences arrive normalised (upper case, alphabet of BLOSUM62, see
// processors/alignment/sequence.ts); an empty sequence yields zeros because
// parasail refuses length 0.
#include <napi.h>
#include <parasail.h>
#include <parasail/matrices/blosum62.h>
#include <cstdint>
#include <string>

namespace {

constexpr int GAP_OPEN = 11;   // parasail convention: a gap of n costs 11 + (n-1)*1
constexpr int GAP_EXTEND = 1;

struct Stats { int score = 0, matches = 0, positives = 0, gaps = 0, length = 0; };

Stats alignPair(const std::string& a, const std::string& b, bool global) {
  Stats s;
  if (a.empty() || b.empty()) return s;
  const parasail_matrix_t* m = &parasail_blosum62;
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  parasail_result_t* r = global
      ? parasail_nw_trace_striped_sat(a.data(), la, b.data(), lb, GAP_OPEN, GAP_EXTEND, m)
      : parasail_sw_trace_striped_sat(a.data(), la, b.data(), lb, GAP_OPEN, GAP_EXTEND, m);
  if (!r) throw std::runtime_error("parasail alignment failed (out of memory?)");
  // The SW trace kernels report the type's minimum (-128, -32768, ...) when no
  // cell scores above 0 (parasail 2.6): that is the empty local alignment.
  if (!global && r->score <= 0) { parasail_result_free(r); return s; }
  s.score = r->score;
  parasail_cigar_t* c = parasail_result_get_cigar(r, a.data(), la, b.data(), lb, m);
  if (!c) { parasail_result_free(r); throw std::runtime_error("parasail traceback failed"); }
  int qi = c->beg_query, ri = c->beg_ref;
  // parasail 2.6's CIGAR of a local alignment that starts at the first residue
  // of one sequence carries spurious leading gaps for the other one's prefix
  // (W against ...W: "7D1=" from 0 instead of "1=" from 7). A local alignment
  // never begins or ends with a gap (dropping it raises the score), so edge
  // gaps are skipped, moving the start past the residues they stand for.
  int first = 0, last = c->len - 1;
  auto isGap = [&](int k) { const char op = parasail_cigar_decode_op(c->seq[k]); return op == 'I' || op == 'D'; };
  if (!global) {
    for (; first <= last && isGap(first); first++) {
      const int n = static_cast<int>(parasail_cigar_decode_len(c->seq[first]));
      if (parasail_cigar_decode_op(c->seq[first]) == 'I') qi += n; else ri += n;
    }
    while (last >= first && isGap(last)) last--;
  }
  for (int k = first; k <= last; k++) {
    const char op = parasail_cigar_decode_op(c->seq[k]);
    const int n = static_cast<int>(parasail_cigar_decode_len(c->seq[k]));
    s.length += n;
    if (op == '=' || op == 'X' || op == 'M') {
      for (int t = 0; t < n; t++, qi++, ri++) {
        const unsigned char x = a[qi], y = b[ri];
        if (x == y) s.matches++;
        if (m->matrix[m->mapper[x] * m->size + m->mapper[y]] > 0) s.positives++;
      }
    } else if (op == 'I') {  // residues of a against a gap
      s.gaps += n; qi += n;
    } else if (op == 'D') {  // residues of b against a gap
      s.gaps += n; ri += n;
    }
  }
  parasail_cigar_free(c);
  parasail_result_free(r);
  return s;
}

Napi::Value Align(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "align(a: string, b: string, global: boolean)");
  }
  Stats s;
  try {
    s = alignPair(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value(), info[2].ToBoolean().Value());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Int32Array out = Napi::Int32Array::New(env, 5);
  out[0] = s.score; out[1] = s.matches; out[2] = s.positives; out[3] = s.gaps; out[4] = s.length;
  return out;
}

Napi::Value ScoreAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsTypedArray() || !info[2].IsTypedArray() || !info[3].IsTypedArray()) {
    throw Napi::TypeError::New(env, "scoreAll(query: string, refBytes: Uint8Array, refOffsets: Int32Array, out: Int32Array)");
  }
  const std::string q = info[0].As<Napi::String>().Utf8Value();
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  Napi::Int32Array offsets = info[2].As<Napi::Int32Array>();
  Napi::Int32Array out = info[3].As<Napi::Int32Array>();
  const size_t n = offsets.ElementLength() == 0 ? 0 : offsets.ElementLength() - 1;
  if (out.ElementLength() < n) throw Napi::RangeError::New(env, "scoreAll: out shorter than the number of references");
  const char* base = reinterpret_cast<const char*>(bytes.Data());
  const int32_t* off = offsets.Data();
  int32_t* o = out.Data();
  if (q.empty()) {
    for (size_t j = 0; j < n; j++) o[j] = 0;
    return env.Undefined();
  }
  parasail_profile_t* p = parasail_profile_create_sat(q.data(), static_cast<int>(q.size()), &parasail_blosum62);
  if (!p) throw Napi::Error::New(env, "parasail profile failed");
  for (size_t j = 0; j < n; j++) {
    const int len = off[j + 1] - off[j];
    if (len <= 0 || static_cast<size_t>(off[j + 1]) > bytes.ByteLength()) { o[j] = 0; continue; }
    parasail_result_t* r = parasail_sw_striped_profile_sat(p, base + off[j], len, GAP_OPEN, GAP_EXTEND);
    if (!r) { parasail_profile_free(p); throw Napi::Error::New(env, "parasail alignment failed"); }
    o[j] = r->score;
    parasail_result_free(r);
  }
  parasail_profile_free(p);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("align", Napi::Function::New(env, Align));
  exports.Set("scoreAll", Napi::Function::New(env, ScoreAll));
  exports.Set("gapOpen", Napi::Number::New(env, GAP_OPEN));
  exports.Set("gapExtend", Napi::Number::New(env, GAP_EXTEND));
  return exports;
}

}  // namespace

NODE_API_MODULE(protea_parasail, Init)
