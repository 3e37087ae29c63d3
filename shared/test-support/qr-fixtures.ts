/** Payloads and temp folders for the QR tests: deterministic, so a failure reproduces. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QR_ALPHANUMERIC_CHARSET } from "../src/qr/types.js";
import { seededRandom } from "./degrade.js";

/** `length` bytes that hold every byte value 0-255 once (when length ≥ 256), then seeded noise. */
export function binaryPayload(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(length);
  // Start at a seed-dependent value so payloads of equal length differ.
  for (let i = 0; i < length; i++) out[i] = i < 256 ? (i + seed) & 0xff : Math.floor(random() * 256);
  return out;
}

/** `length` characters of the QR alphanumeric charset, seeded. */
export function alphanumericPayload(length: number, seed: number): string {
  const random = seededRandom(seed);
  let out = "";
  for (let i = 0; i < length; i++) out += QR_ALPHANUMERIC_CHARSET[Math.floor(random() * QR_ALPHANUMERIC_CHARSET.length)];
  return out;
}

/** A fresh temp folder and its cleanup. */
export async function tempFolder(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `airlock-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Bytes equal, with a readable failure (first differing index) rather than two huge arrays. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? undefined : n;
}
