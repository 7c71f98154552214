/**
 * BGP Identifiers (RFC 4271 §4.2, RFC 6286 §2.1): a non-zero unsigned 32-bit
 * integer, conventionally written as a dotted quad. The FSM holds them as
 * numbers in host order, which is how §6.8 compares them.
 */

/** Local misuse: a BGP Identifier that is not a dotted quad or 32-bit integer. */
export class BgpIdError extends Error {
  override readonly name = "BgpIdError";
}

/**
 * Parses `"192.0.2.1"` into the unsigned 32-bit integer 3221225985.
 * @throws BgpIdError when the text is not four decimal octets.
 */
export function parseBgpId(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) throw new BgpIdError(`not a dotted quad: ${JSON.stringify(text)}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
      throw new BgpIdError(`not a dotted quad: ${JSON.stringify(text)}`);
    }
    n = n * 256 + Number(p);
  }
  return n;
}

/**
 * Formats an unsigned 32-bit integer as a dotted quad.
 * @throws BgpIdError when `id` is not an integer in 0..2^32-1.
 */
export function formatBgpId(id: number): string {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
    throw new BgpIdError(`not an unsigned 32-bit integer: ${id}`);
  }
  return [id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff].join(".");
}

/**
 * Compares two BGP Identifiers as 4-octet unsigned integers in host byte order
 * (RFC 4271 §6.8, step 1). Returns a negative number, 0 or a positive number.
 * Values are normalised with `>>> 0`, so a signed 32-bit reading of the same
 * octets (e.g. from `DataView.getInt32`) compares the same way.
 */
export function compareBgpIds(a: number, b: number): number {
  const ua = a >>> 0;
  const ub = b >>> 0;
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}
