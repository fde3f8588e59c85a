/**
 * @module The client's address from the bytes uWS reports (`getRemoteAddress()`:
 * 4 bytes for IPv4, 16 for IPv6), without its text form: that one costs a
 * second `getpeername` system call in uWS 20.30 and spells IPv6 out in full
 * (`0000:0000:…:0001`), where stored addresses should read as people write them.
 */

/**
 * An IPv4 peer as an unsigned 32-bit number (the record writer prints it), an
 * IPv6 peer as RFC 5952 text; IPv4-mapped IPv6 (a dual-stack socket's IPv4
 * peer) counts as IPv4. Undefined for any other length.
 */
export function peerAddress(b: Uint8Array): number | string | undefined {
  if (b.length === 4) return ipv4At(b, 0);
  if (b.length !== 16) return undefined;
  return isIpv4Mapped(b) ? ipv4At(b, 12) : formatIpv6(b);
}

const ipv4At = (b: Uint8Array, i: number) =>
  (((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)) >>> 0;

function isIpv4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** RFC 5952: lower-case hex without leading zeros; the first longest run of two or more zero groups becomes `::`. */
export function formatIpv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let runStart = -1;
  let runLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) {
      runStart = i;
      runLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  return runStart === -1 ? hex(0, 8) : `${hex(0, runStart)}::${hex(runStart + runLength, 8)}`;
}
