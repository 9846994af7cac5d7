// The local test cluster for e2e tests: brought up once per test run, or reused when one with the
// same shape is already running. Never skips: without root or the binaries, the tests fail.
import { daemonsAlive, down, readState, up, type UpOptions } from "../../scripts/cluster/harness.ts";
import { heal } from "../../scripts/cluster/faults.ts";

let current: Promise<string> | undefined;
let currentShape = "";

export async function ensureCluster(options: UpOptions = { clusters: 1, nodes: 4 }): Promise<string> {
  const shape = JSON.stringify(options);
  if (current && currentShape === shape) return current;
  currentShape = shape;
  current = (async () => {
    if (process.getuid?.() !== 0) throw new Error("the e2e tests need root (network namespaces, iptables)");
    const state = readState();
    if (state && JSON.stringify(state.options) === shape && daemonsAlive(state).length === 0) {
      if (state.faults.length) await heal();
      return state.kubeconfig;
    }
    return (await up(options)).kubeconfig;
  })();
  return current;
}

/** For the self-test of `down`: forget the cached cluster. */
export async function teardown(): Promise<void> {
  current = undefined;
  currentShape = "";
  await down({ quiet: true });
}

export { heal };
