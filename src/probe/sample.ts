// Less than a full mesh, on purpose: each source probes K targets, chosen so that every node is the
// target of K sources (a ring over a seeded shuffle; about K when the targets are another
// cluster's), so no node is left out or probed by everyone, deterministic for a seed. With zones, every ordered pair of zones keeps at least
// one probe, so a zone-to-zone path is never left untested. Pure.
import { groupBy } from "../group.ts";

export interface SampleOptions {
  /** Targets per source. */
  k: number;
  /** The same seed (the run id, or --seed) gives the same sample. */
  seed: string;
  /** The zone of a node (topology.kubernetes.io/zone), when pairs of zones must all be covered. */
  zoneOf?: (node: string) => string | undefined;
}

/** Which targets each source probes, by node name. `sources` and `targets` may be the same nodes
 * (a pair with itself is never chosen) or two clusters' nodes. */
export function sampleTargets(sources: string[], targets: string[], o: SampleOptions): Map<string, Set<string>> {
  const rand = prng(o.seed);
  const src = shuffle([...sources].sort(), rand);
  // One ring when sources and targets are the same nodes: source i takes the K after it, so every
  // node is the target of exactly K sources (two independent shuffles would only approach that).
  const same = sources.length === targets.length && new Set([...sources, ...targets]).size === sources.length;
  const dst = same ? src : shuffle([...targets].sort(), rand);
  const out = new Map<string, Set<string>>(src.map((s) => [s, new Set<string>()]));
  if (dst.length === 0) return out;
  const self = new Set(targets);
  src.forEach((s, i) => {
    const chosen = out.get(s)!;
    const room = dst.length - (self.has(s) ? 1 : 0);
    // Source i starts at its own share of the target ring: consecutive sources take consecutive
    // windows, so each target falls in about K windows.
    let j = Math.floor((i * dst.length) / src.length) + (self.has(s) ? 1 : 0);
    while (chosen.size < Math.min(o.k, room)) {
      const t = dst[j++ % dst.length]!;
      if (t !== s) chosen.add(t);
    }
  });
  if (o.zoneOf) coverZonePairs(src, dst, out, o.zoneOf);
  return out;
}

/** Adds, for every ordered pair of zones no chosen pair connects, one pair between them (rotating
 * through each zone's nodes so the extra load is spread). */
function coverZonePairs(src: string[], dst: string[], out: Map<string, Set<string>>, zoneOf: (n: string) => string | undefined): void {
  const byZone = (nodes: string[]) => groupBy(nodes.filter((n) => zoneOf(n) !== undefined), (n) => zoneOf(n)!);
  const from = byZone(src);
  const to = byZone(dst);
  const covered = new Set<string>();
  for (const [s, ts] of out) for (const t of ts) covered.add(`${zoneOf(s)}\u0000${zoneOf(t)}`);
  let turn = 0;
  for (const [za, ss] of from) {
    for (const [zb, ts] of to) {
      if (covered.has(`${za}\u0000${zb}`)) continue;
      for (let tries = 0; tries < ss.length * ts.length; tries++, turn++) {
        const s = ss[turn % ss.length]!;
        const t = ts[(turn + tries) % ts.length]!;
        if (s !== t) {
          out.get(s)!.add(t);
          break;
        }
      }
    }
  }
}

/** mulberry32 over a string hash: small, fast, and the same everywhere. */
function prng(seed: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
