// Embedding vectors as the tests read them back from PostgreSQL (hex of the
// float32 little-endian bytes) and the cosine distance computed independently
// of faiss, for brute-force checks of the predictor.

/** float32 little-endian bytes (as hex) -> numbers. */
export function floats(hex: string): Float64Array {
  const b = Buffer.from(hex, 'hex');
  const out = new Float64Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/** 1 - cos(a, b), in double precision. */
export function cosineDistance(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return 1 - dot / Math.sqrt(na * nb);
}
