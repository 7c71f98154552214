// A stable 64-bit identifier for canonical selector text: two FNV-1a 32-bit
// hashes (different offset bases) over the UTF-16 code units, as 16 hex digits.
// Not cryptographic: ids name sets and chains, they do not authenticate.

/** 16 lowercase hex digits identifying `text`; equal texts give equal ids, on any platform. */
export function stableHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c ^ (a >>> 16), 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}
