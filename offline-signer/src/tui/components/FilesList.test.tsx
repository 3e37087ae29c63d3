/**
 * Attached files in the TUI's detail pane, on a real vault: each file's name and size, whether
 * it is here yet. (A name that could act on a terminal never gets this far: the reference check
 * refuses it on every vault, attachments.test.ts; Text escapes whatever is shown anyway.)
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { tuiFixtures, until } from "../../../test-support/tui.js";
import { encodeRef } from "../../apps/attachments/ref.js";
import { attachFile } from "../../attachments/local.js";
import { App } from "../App.js";

const fixtures = tuiFixtures("airlock-tui-files-");

describe("files in the detail pane", () => {
  it("lists a record's files with their size and says which are not here yet", async () => {
    const { a } = await fixtures.team();
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "Site visit" }]);
    const file = join(a.store.dir, "..", "plan.pdf");
    writeFileSync(file, Buffer.alloc(2048, 7));
    await attachFile(a, "notes", "n1", file);
    // A teammate's file that has not arrived yet.
    a.write("notes", [{ kind: "add", record: "n1", field: "files", value: encodeRef({ hash: new Uint8Array(32).fill(9), name: "photo 2.jpg", size: 10, type: "image/jpeg" }) }]);
    const screen = render(<App home={a.store.dir} vault={a} />);
    const frame = await until(screen, "Files (2)");
    expect(frame).toMatch(/plan\.pdf\s+2\.0 KiB/);
    expect(frame).toContain("photo 2.jpg  10 B  (not here yet)");
  });
});
