/**
 * The file-to-file path loads only what it runs: no @noble, no cbor-x, and the bundle format
 * only through its `streaming` entry. A process sealing a 1 GiB attachment is measured
 * against a peak-RSS target (docs/benchmarks.md), and the main entry alone adds ~10 MiB.
 * This walks the real import statements from the two entry points, following relative
 * imports and the streaming entry into bundle-format's sources.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const STREAMING = resolve(here, "../../../bundle-format/src/streaming.ts");
// `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`; `import type` and
// `export type` are skipped: the compiler erases them, so they load nothing.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g;

/** Every module specifier reachable from `entry`, with the file that imports it. */
function reachable(entry: string): { specifier: string; from: string }[] {
  const seen = new Set<string>();
  const found: { specifier: string; from: string }[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2] ?? match[3])!;
      found.push({ specifier, from: file });
      if (specifier.startsWith(".")) visit(join(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else if (specifier === "@airlock/bundle-format/streaming") visit(STREAMING);
    }
  };
  visit(entry);
  return found;
}

describe("the file-to-file path's imports", () => {
  for (const entry of ["seal-file.ts", "open-file.ts"]) {
    it(`${entry} reaches neither @noble, cbor-x nor bundle-format's main entry`, () => {
      const found = reachable(join(here, entry));
      expect(found.some((f) => f.specifier === "@airlock/bundle-format/streaming")).toBe(true);
      const heavy = found.filter((f) => !f.specifier.startsWith(".") && !f.specifier.startsWith("node:") && f.specifier !== "@airlock/bundle-format/streaming");
      expect(heavy).toEqual([]);
    });
  }

  it("follows what it claims to follow (a heavy import is seen)", () => {
    const found = reachable(resolve(here, "../../../bundle-format/src/index.ts"));
    expect(found.some((f) => f.specifier.startsWith("@noble/"))).toBe(true);
    expect(found.some((f) => f.specifier === "cbor-x")).toBe(true);
  });
});
