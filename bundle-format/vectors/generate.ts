/**
 * Writes bundle-format/test-vectors/*.json from vectors/cases.ts. Run with `npm run vectors`.
 * Output is deterministic: the tests regenerate every file in memory and compare.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCases } from "./cases.js";
import { serialize, toFile, vectorFileName } from "./files.js";

// dist/vectors/generate.js -> bundle-format/test-vectors
const target = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-vectors");
mkdirSync(target, { recursive: true });
for (const old of readdirSync(target)) if (old.endsWith(".json")) rmSync(join(target, old));
const cases = buildCases();
for (const c of cases) writeFileSync(join(target, vectorFileName(c.name)), serialize(toFile(c)));
console.log(`wrote ${cases.length} vectors to ${target}`);
