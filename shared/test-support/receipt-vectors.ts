/**
 * Receipt test vectors (docs/receipts.md): one JSON file per case in shared/test-vectors/receipts,
 * each with the transport keys the opener holds and its expected outcome. Built here,
 * deterministically; `npm run vectors` writes them and receipt-vectors.test.ts regenerates them
 * in memory and compares. Readers fail on a key they do not know.
 */
import { RECEIPT_ERROR_CODES, ReceiptKey, type ReceiptErrorCode } from "../src/receipt/index.js";
import { referenceBody, referenceSeal } from "./receipt-reference.js";

export interface ReceiptVector {
  name: string;
  description: string;
  expect: "success" | ReceiptErrorCode;
  /** The teams' transport keys the opening courier holds, hex. */
  opener_keys: string[];
  receipt: string;
  /** Success only: what it lists, and what sealing it again takes. */
  time_ms?: number;
  ids?: string[];
  transport_key?: string;
  nonce?: string;
}

const KEYS = ["name", "description", "expect", "opener_keys", "receipt", "time_ms", "ids", "transport_key", "nonce"];
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const filled = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

const TEAM = filled(32, 0x11);
const OTHER = filled(32, 0x22);
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i);
const TIME = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const ids = (n: number, seed: number): string[] =>
  Array.from({ length: n }, (_, i) => Buffer.from(Uint8Array.from({ length: 8 }, (_, j) => (seed * 31 + i * 17 + j * 7) & 0xff)).toString("hex")).sort();

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at < 0 ? out.length + at : at]! ^= 0x01;
  return out;
}

export function buildReceiptVectors(): ReceiptVector[] {
  const team = new ReceiptKey(TEAM);
  const other = new ReceiptKey(OTHER);
  const opener = [hex(TEAM)];
  const ok = (name: string, description: string, list: string[]): ReceiptVector => ({
    name,
    description,
    expect: "success",
    opener_keys: opener,
    receipt: hex(team.seal({ timeMs: TIME, ids: list }, NONCE)),
    time_ms: TIME,
    ids: list,
    transport_key: hex(TEAM),
    nonce: hex(NONCE),
  });
  const bad = (name: string, description: string, expect: ReceiptErrorCode, receipt: Uint8Array, keys = opener): ReceiptVector => ({
    name,
    description,
    expect,
    opener_keys: keys,
    receipt: hex(receipt),
  });
  const four = team.seal({ timeMs: TIME, ids: ids(3, 1) }, NONCE);
  const eight = team.seal({ timeMs: TIME, ids: ids(5, 2) }, NONCE);
  const raw = (body: Uint8Array): Uint8Array => referenceSeal(TEAM, NONCE, body);
  return [
    ok("one-id", "the smallest receipt: one id in four slots (82 bytes)", ids(1, 0)),
    ok("five-ids", "five ids padded to eight slots (114 bytes)", ids(5, 2)),
    ok("sixteen-ids", "sixteen ids, no padding (178 bytes)", ids(16, 3)),
    { ...ok("second-of-two-teams", "made by the second of the two teams the courier serves", ids(2, 5)), opener_keys: [hex(OTHER), hex(TEAM)] },
    bad("other-team", "another team's receipt (or a forgery under a key no served team holds)", "RECEIPT_UNKNOWN_TEAM", other.seal({ timeMs: TIME, ids: ids(3, 1) }, NONCE)),
    bad("no-teams", "a courier serving no team", "RECEIPT_UNKNOWN_TEAM", four, []),
    bad("check-flipped", "a bit of the team check flipped", "RECEIPT_UNKNOWN_TEAM", flip(four, 20)),
    bad("nonce-flipped", "a bit of the nonce flipped: the check no longer matches", "RECEIPT_UNKNOWN_TEAM", flip(four, 4)),
    bad("ciphertext-flipped", "a bit of the sealed body flipped", "RECEIPT_AUTH", flip(four, 30)),
    bad("tag-flipped", "a bit of the Poly1305 tag flipped", "RECEIPT_AUTH", flip(four, -1)),
    bad("version-2", "version 2: refused before any key is tried", "RECEIPT_VERSION", referenceSeal(TEAM, NONCE, referenceBody(TIME, ids(3, 1), 4), 2)),
    bad("bad-magic", "not a receipt: the magic is wrong", "RECEIPT_MALFORMED", flip(four, 0)),
    bad("empty", "no bytes at all", "RECEIPT_TRUNCATED", new Uint8Array(0)),
    bad("magic-only", "the magic and nothing after", "RECEIPT_TRUNCATED", four.subarray(0, 3)),
    bad("truncated", "cut to 40 bytes", "RECEIPT_TRUNCATED", four.subarray(0, 40)),
    bad("one-byte-short", "an eight-slot receipt one byte short: no allowed length", "RECEIPT_MALFORMED", eight.subarray(0, eight.length - 1)),
    bad("trailing-byte", "one byte appended: no allowed length", "RECEIPT_MALFORMED", new Uint8Array([...four, 0])),
    bad("oversized", "one slot past the largest receipt", "RECEIPT_TOO_LARGE", new Uint8Array(8243).fill(0x41).fill(0x52, 1, 2).fill(0x43, 2, 3).fill(1, 3, 4)),
    bad("ids-unsorted", "authentic, but the ids are not in ascending order", "RECEIPT_BODY", raw(referenceBody(TIME, [...ids(3, 1)].reverse(), 4))),
    bad("ids-repeated", "authentic, but one id is listed twice", "RECEIPT_BODY", raw(referenceBody(TIME, [ids(1, 1)[0]!, ids(1, 1)[0]!], 4))),
    bad("padding-not-zero", "authentic, but a padding byte is not zero", "RECEIPT_BODY", raw(Uint8Array.from(referenceBody(TIME, ids(3, 1), 4), (b, i) => (i === 10 + 8 * 3 ? 1 : b)))),
    bad("count-zero", "authentic, but it lists nothing", "RECEIPT_BODY", raw(referenceBody(TIME, [], 4))),
    bad("over-padded", "authentic, but three ids padded to eight slots", "RECEIPT_BODY", raw(referenceBody(TIME, ids(3, 1), 8))),
    bad("count-past-slots", "authentic, but the count claims more ids than the slots hold", "RECEIPT_BODY", raw(referenceBody(TIME, ids(3, 1), 4, 9))),
    bad("time-out-of-range", "authentic, but the time is past 2^53 - 1", "RECEIPT_BODY", raw(Uint8Array.from(referenceBody(TIME, ids(3, 1), 4), (b, i) => (i === 0 ? 0xff : b)))),
  ];
}

export const receiptVectorFileName = (name: string): string => `${name}.json`;
export const serializeReceiptVector = (v: ReceiptVector): string => `${JSON.stringify(v, null, 1)}\n`;

/** Parses a vector file strictly: unknown keys, unknown outcomes and bad hex are errors. */
export function parseReceiptVector(json: unknown): ReceiptVector {
  if (typeof json !== "object" || json === null) throw new Error("vector is not an object");
  for (const key of Object.keys(json)) if (!KEYS.includes(key)) throw new Error(`unknown vector key "${key}"`);
  const v = json as ReceiptVector;
  if (v.expect !== "success" && !(RECEIPT_ERROR_CODES as readonly string[]).includes(v.expect)) throw new Error(`unknown expect "${String(v.expect)}"`);
  if (v.expect === "success" && (v.ids === undefined || v.time_ms === undefined || v.nonce === undefined || v.transport_key === undefined)) throw new Error("success vector without ids/time_ms/nonce/transport_key");
  for (const h of [v.receipt, ...v.opener_keys]) if (!/^([0-9a-f]{2})*$/.test(h)) throw new Error("bad hex");
  return v;
}
