/**
 * Every bound the drop folder enforces. A stick that comes back from the online side is
 * hostile input: these limits decide how much memory, time and disk reading it may cost,
 * whatever the stick holds.
 */
import { constants as bufferConstants } from "node:buffer";
import { MAX_BUCKET, MIN_BUCKET } from "@airlock/bundle-format";

/** The smallest bundle the format produces; anything shorter is damaged or not a bundle. */
export const MIN_BUNDLE_BYTES = MIN_BUCKET;
/** Matches bundle-format's DEFAULT_MAX_LENGTH: the largest bundle opened in memory. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
/** What one scan may load into memory altogether; the rest waits for the next run. */
export const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
/** Entries looked at per scan, so a folder stuffed with millions of names cannot stall us. */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** A temp file this old belongs to a writer that died: live writers touch theirs constantly. */
export const DEFAULT_TEMP_MAX_AGE_MS = 60 * 60 * 1000;
/** Write size per call: small enough for regular progress on a slow stick, large enough to be fast. */
export const WRITE_PIECE_BYTES = 1024 * 1024;

/** A single Buffer cannot be larger than this, so no file limit may exceed it. */
const LARGEST_FILE = Math.min(MAX_BUCKET, bufferConstants.MAX_LENGTH);

export interface ReadLimits {
  /** Per file, in bytes (default 256 MiB). Checked on the opened file before any allocation. */
  readonly maxFileBytes?: number;
  /** All accepted files of one scan together, in bytes (default 1 GiB). */
  readonly maxTotalBytes?: number;
  /** Directory entries looked at per scan, of any kind (default 10 000). */
  readonly maxEntries?: number;
}

export type ResolvedLimits = Required<ReadLimits>;

/** Fills in defaults. Nonsense limits are caller bugs, so they throw RangeError like bundle-format's asserts. */
export function resolveLimits(limits: ReadLimits = {}): ResolvedLimits {
  return {
    maxFileBytes: checkLimit("maxFileBytes", limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, MIN_BUNDLE_BYTES, LARGEST_FILE),
    maxTotalBytes: checkLimit("maxTotalBytes", limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES, 0, Number.MAX_SAFE_INTEGER),
    maxEntries: checkLimit("maxEntries", limits.maxEntries ?? DEFAULT_MAX_ENTRIES, 1, 2 ** 31),
  };
}

export function checkLimit(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`"${name}" must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
