// An API server's URL as an identity: the one thing two kubeconfig files cannot name alike for
// two different clusters. Pure.

/** Scheme and host case-insensitive, the default port and a trailing slash dropped
 * ("https://API.x:443/" is "https://api.x"). */
export function serverIdentity(server: string): string {
  try {
    const u = new URL(server);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  } catch {
    return server.replace(/\/+$/, "");
  }
}
