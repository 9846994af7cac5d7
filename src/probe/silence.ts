// Targets that every source so far found silent. A lone timeout is confirmed by a second try
// before it counts (script.ts), because one source's timeout is often the moment's load, not
// the network. Once CORROBORATING sources have each had a confirmed timeout to a target and none
// has reached it on that protocol, the next source's timeout is not lone: it is waited for only
// CORROBORATED_WAIT_S and not tried again. A node that is down then costs each source about a
// second instead of two timeouts (100 nodes in scale mode, one node's link down: each source's
// exec took 6 s instead of 1 s, the check 27 s longer than on the healthy cluster; now 3.6-7.1 s).
import type { Probe, Verdict } from "./types.ts";

export const CORROBORATING = 3;
export const CORROBORATED_WAIT_S = 1;

/** Node-to-node protocols whose timeouts the script confirms (a Service's are confirmed too, but
 * a ClusterIP's silence is not one node's). */
const CONFIRMED = new Set(["icmp", "tcp", "nodeport"]);

export class SilentTargets {
  /** Per target endpoint (an object shared by every probe aiming at it): sources that timed out. */
  private readonly silentFrom = new Map<object, number>();
  /** Targets some source did reach: never corroborated again. */
  private readonly reached = new WeakSet<object>();

  /** `answeredTo`: whether some source reached a probe's target (the run's results so far). */
  constructor(private readonly answeredTo: (p: Probe) => boolean) {}

  /** Verdicts as they land. Only timeouts are looked at: the healthy mass costs nothing here. */
  record(verdicts: Verdict[]): void {
    for (const v of verdicts) {
      if (v.status !== "Failed" || v.reasonCode !== "timeout" || !confirmable(v.probe)) continue;
      this.silentFrom.set(v.probe.target, (this.silentFrom.get(v.probe.target) ?? 0) + 1);
    }
  }

  /** Before a source's exec: its probes to targets found silent are marked (corroboratedBy).
   * Nothing to look at, and nothing done per probe, until some target timed out. */
  mark(probes: Probe[]): void {
    if (this.silentFrom.size === 0) return;
    for (const p of probes) {
      const n = this.corroborating(p);
      if (n) p.corroboratedBy = n;
    }
  }

  /** How many sources found this probe's target silent, if enough did and none reached it; else 0. */
  corroborating(p: Probe): number {
    if (this.silentFrom.size === 0) return 0;
    const n = this.silentFrom.get(p.target) ?? 0;
    if (n < CORROBORATING || this.reached.has(p.target)) return 0;
    if (this.answeredTo(p)) {
      this.reached.add(p.target);
      return 0;
    }
    return n;
  }
}

function confirmable(p: Probe): boolean {
  return CONFIRMED.has(p.protocol) && !p.custom;
}
