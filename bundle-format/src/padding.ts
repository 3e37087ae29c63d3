/**
 * Bucket sizes: every bundle's total length is a Padmé value (Nikitin et al., "Reducing
 * Metadata Leakage from Encrypted Files and Communication with PURBs", PETS 2019) of at
 * least MIN_BUCKET bytes. Padmé keeps only the top floor(log2 E) + 1 bits of a length L
 * (E = floor(log2 L)), so a length leaks O(log log L) bits. Above the 1 KiB minimum the
 * padding costs at most 1/2^(floor(log2 E) + 1): 6.25% below 64 KiB, 3.1% below 4 GiB.
 * Spec: docs/bundle-format.md, "Sizes".
 */

/** Smallest bundle: big enough for a typical small sync bundle, so most of them look alike. */
export const MIN_BUCKET = 1024;

/** Largest bundle this format allows: 1 TiB. Readers set their own, much lower limits. */
export const MAX_BUCKET = 2 ** 40;

/** Padmé(L): L rounded up so that only its top floor(log2 E) + 1 bits (E = floor(log2 L)) may be set. */
export function padme(length: number): number {
  if (!Number.isSafeInteger(length) || length < 2) return Math.max(0, length);
  const e = bitLength(length) - 1;
  const s = bitLength(e);
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}

/** The smallest bucket that holds `length` bytes. */
export function bucketFor(length: number): number {
  return padme(Math.max(length, MIN_BUCKET));
}

export function isBucket(length: number): boolean {
  return Number.isSafeInteger(length) && length >= MIN_BUCKET && length <= MAX_BUCKET && padme(length) === length;
}

/** Exact floor(log2 n) + 1 for positive safe integers (Math.log2 can round up near powers of two). */
function bitLength(n: number): number {
  return n.toString(2).length;
}
