/**
 * Boundary asserts in the style of @noble: they return their input, and name the argument
 * in the message, so a misuse fails loudly at the API edge instead of deep in a codec.
 * These throw TypeError/RangeError (programming errors), never BundleError (bad input).
 */

export function abytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`"${name}" expected Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`"${name}" expected Uint8Array of length ${length}, got length=${value.length}`);
  }
  return value;
}

/** A non-negative safe integer within [min, max]. Rejects NaN, fractions, Infinity, bigint. */
export function auint(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new TypeError(`"${name}" expected a safe integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`"${name}" expected an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  if (typeof value === "number") return `number ${value}`;
  return typeof value;
}
