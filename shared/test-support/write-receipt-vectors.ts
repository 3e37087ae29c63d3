/**
 * Writes shared/test-vectors/receipts/*.json from receipt-vectors.ts (`npm run vectors`). Output is
 * deterministic: shared/src/receipt/receipt-vectors.test.ts regenerates every file in memory and compares.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildReceiptVectors, receiptVectorFileName, serializeReceiptVector } from "./receipt-vectors.js";

// dist/test-support/write-receipt-vectors.js -> shared/test-vectors/receipts
const target = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-vectors", "receipts");
mkdirSync(target, { recursive: true });
for (const old of readdirSync(target)) if (old.endsWith(".json")) rmSync(join(target, old));
const vectors = buildReceiptVectors();
for (const v of vectors) writeFileSync(join(target, receiptVectorFileName(v.name)), serializeReceiptVector(v));
console.log(`wrote ${vectors.length} receipt vectors to ${target}`);
