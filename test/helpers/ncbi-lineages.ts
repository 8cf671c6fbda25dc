// NCBI lineages walked in a test straight from a nodes.dmp dump, independently
// of the taxonomy sink and lib/queries/taxonomy.ts: what taxonomy features are
// checked against.

/** taxon -> [taxon, parent, ..., top] (the root, or the highest node the dump has); undefined for a taxon not in it. */
export function lineagesFromDump(nodesDmp: string): (taxon: number) => number[] | undefined {
  const parent = new Map<number, number>();
  for (const line of nodesDmp.split('\n')) {
    if (!line) continue;
    const [id, up] = line.split('\t|\t');
    parent.set(Number(id), Number(up));
  }
  return (taxon) => {
    if (!parent.has(taxon)) return undefined;
    const out = [taxon];
    for (let at = taxon; parent.get(at) !== at && parent.has(parent.get(at)!); at = parent.get(at)!) out.push(parent.get(at)!);
    return out;
  };
}
