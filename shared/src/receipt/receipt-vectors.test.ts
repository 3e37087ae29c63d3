/**
 * The committed receipt vectors reproduce from their generator, and each opens with its expected
 * outcome in both the real opener and the reference reader written from docs/receipts.md.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { referenceOpen } from "../../test-support/receipt-reference.js";
import { buildReceiptVectors, parseReceiptVector, receiptVectorFileName, serializeReceiptVector, type ReceiptVector } from "../../test-support/receipt-vectors.js";
import { RECEIPT_ERROR_CODES, ReceiptKey, openReceipt } from "./index.js";
import { isAirlockError } from "../errors.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-vectors", "receipts");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
const vectors: [string, ReceiptVector][] = files.map((f) => [f, parseReceiptVector(JSON.parse(readFileSync(join(dir, f), "utf8")))]);
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

function outcome(v: ReceiptVector): { timeMs: number; ids: string[] } | { error: string } {
  const keys = v.opener_keys.map((k, i) => ({ team: i, key: new ReceiptKey(bytes(k)) }));
  try {
    const opened = openReceipt(bytes(v.receipt), keys);
    return { timeMs: opened.timeMs, ids: [...opened.ids] };
  } catch (e) {
    if (isAirlockError(e)) return { error: e.code };
    throw e;
  }
}

describe("receipt vectors", () => {
  it("the generator reproduces every committed file byte for byte, and no file is stale", () => {
    const built = buildReceiptVectors();
    expect(files).toEqual(built.map((v) => receiptVectorFileName(v.name)).sort());
    for (const v of built) expect(readFileSync(join(dir, receiptVectorFileName(v.name)), "utf8")).toBe(serializeReceiptVector(v));
  });

  it("cover success and every error code an opener can produce", () => {
    const outcomes = new Set(vectors.map(([, v]) => v.expect));
    for (const code of ["success", ...RECEIPT_ERROR_CODES]) expect(outcomes.has(code as ReceiptVector["expect"]), code).toBe(true);
  });

  it("the harness refuses unknown keys and outcomes", () => {
    expect(() => parseReceiptVector({ ...vectors[0]![1], surprise: 1 })).toThrow(/unknown vector key/);
    expect(() => parseReceiptVector({ ...vectors[0]![1], expect: "fine" })).toThrow(/unknown expect/);
  });

  it.each(vectors)("%s opens with its expected outcome, in the opener and in the reference reader", (_file, v) => {
    const real = outcome(v);
    const reference = referenceOpen(bytes(v.receipt), v.opener_keys.map(bytes));
    if (v.expect === "success") {
      expect(real).toEqual({ timeMs: v.time_ms, ids: v.ids });
      expect(reference).toEqual({ timeMs: v.time_ms, ids: v.ids });
    } else {
      expect(real).toEqual({ error: v.expect });
      expect(reference).toEqual({ error: v.expect });
    }
  });

  it.each(vectors.filter(([, v]) => v.expect === "success"))("%s: sealing its contents with its nonce gives its bytes", (_file, v) => {
    const key = new ReceiptKey(bytes(v.transport_key!));
    expect(Buffer.from(key.seal({ timeMs: v.time_ms!, ids: v.ids! }, bytes(v.nonce!))).toString("hex")).toBe(v.receipt);
  });
});
