/** The import headline says what happened, and says "Imported from" only when something was stored. */
import { describe, expect, it } from "vitest";
import { emptyReport, type ImportReport } from "../../vault/import-report.js";
import { importTitle } from "./ResultView.js";

const report = (change: Partial<ImportReport>): ImportReport => ({ ...emptyReport(), ...change });

describe("importTitle", () => {
  it("names what happened when nothing was imported", () => {
    expect(importTitle("/s", 0, report({}))).toBe("Nothing to import: no bundles in /s");
    expect(importTitle("/s", 0, report({ issues: [{ source: "x", code: "BUNDLE_MALFORMED", reason: "not a bundle" }] }))).toBe("Nothing imported: nothing in /s could be read");
    expect(importTitle("/s", 2, report({ notForMe: 2 }))).toBe("Nothing imported: the 2 bundle(s) in /s are for other devices");
    expect(importTitle("/s", 1, report({ bundles: 1, quarantined: 1 }))).toBe("Nothing imported from /s: what came for this device was refused");
    expect(importTitle("/s", 1, report({ bundles: 1, duplicates: 3 }))).toBe("Nothing new in /s: everything there was already here");
  });

  it("says Imported from when changes, team entries, files or a welcome arrived", () => {
    expect(importTitle("/s", 1, report({ bundles: 1, changesetsNew: 2, applied: 2 }))).toBe("Imported from /s: 2 change set(s) applied, 0 team change(s)");
    expect(importTitle("/s", 1, report({ bundles: 1, welcomed: "Field office", entriesAdded: 4 }))).toMatch(/^Imported from \/s/);
  });
});
