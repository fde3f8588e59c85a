/**
 * @module Which client address a stored visit without `ip_address` gets.
 * Shoppers' addresses are personal data, so by default none: the column is
 * null, as the body left it, and the route never asks uWS for the peer (in
 * uWS 20.30 that is a system call and three allocations per visit). The
 * operator turns recording on with --record-client-address; --trust-proxy
 * then takes the first X-Forwarded-For hop instead of the peer.
 */

/** "none": ip_address only as sent; "peer": the connection's peer; "forwarded-for": the first X-Forwarded-For hop (the peer when absent). */
export type ClientAddressSource = "none" | "peer" | "forwarded-for";

export interface ClientAddressOptions {
  readonly recordClientAddress: boolean;
  readonly trustProxy: boolean;
  /** null: in memory, nothing is stored. */
  readonly dataDir: string | null;
}

export function clientAddressSource(o: ClientAddressOptions): ClientAddressSource {
  if (!o.recordClientAddress || o.dataDir === null) return "none";
  return o.trustProxy ? "forwarded-for" : "peer";
}

/** Options that do nothing in this combination: the operator should know (logged at start). */
export function clientAddressWarnings(o: ClientAddressOptions): string[] {
  const warnings: string[] = [];
  if (o.trustProxy && !o.recordClientAddress) {
    warnings.push(
      "--trust-proxy alone records no client address (visits without ip_address store null): add --record-client-address to record the first X-Forwarded-For hop",
    );
  }
  if (o.recordClientAddress && o.dataDir === null) {
    warnings.push("--record-client-address has no effect in memory mode: no visit is stored");
  }
  return warnings;
}
