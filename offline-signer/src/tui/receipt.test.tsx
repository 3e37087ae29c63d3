/**
 * The TUI's import shows the delivery receipt code (docs/receipts.md): after a vault imports QR
 * frames through the UI, `r` draws the code alone on the screen (it fits 80x24), and the code read
 * back from the rendered text opens under the team's receipt key and names exactly the bundles imported.
 */
import { join } from "node:path";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { FountainDecoder } from "@airlock/bundle-format";
import { openReceipt, readSources, ReceiptKey, receiptIdOf, scanQrPixels } from "@airlock/shared";
import { terminalToImage } from "../../../shared/test-support/terminal.js";
import { team } from "../../test-support/vaults.js";
import { ENTER, press, tuiFixtures, until } from "../../test-support/tui.js";
import { exportTo } from "../vault/transfer.js";
import { App } from "./App.js";

const { root, keep } = tuiFixtures("airlock-tui-receipt-");

describe("the TUI import's receipt", () => {
  it("draws the receipt code after importing QR frames; read back from the screen it names the bundles imported", async () => {
    const r = root();
    const { a, b } = await team(r);
    keep(a, b);
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "By camera" }]);
    const qr = join(r, "qr");
    const written = await exportTo(a, { qr });
    expect(written.length).toBeGreaterThan(0);
    const folder = qr; // one folder of frames per bundle

    const screen = render(<App home={b.store.dir} vault={b} />);
    await until(screen, "Notes (0)");
    await press(screen, "i", "Import bundles");
    await press(screen, folder, folder);
    await press(screen, ENTER, "r: show the receipt code for the courier's camera");
    const frame = await press(screen, "r", "Receipt 1/1 for the courier's camera");
    const lines = frame.split("\n");
    const end = lines.findIndex((l) => l.includes("Receipt 1/1"));
    // Alone on the screen, it fits an 80x24 terminal: the code's rows and one line under them.
    expect(end + 1).toBeLessThanOrEqual(23);
    expect(Math.max(...lines.map((l) => l.trimEnd().length))).toBeLessThanOrEqual(80);
    const rows = lines.slice(0, end);
    const decoder = new FountainDecoder();
    decoder.receive(scanQrPixels(terminalToImage(rows.join("\n"), 3)) as Uint8Array);
    const tk = b.transportKey()!;
    const key = ReceiptKey.of(tk);
    tk.wipe();
    const opened = openReceipt(decoder.message!, [{ team: "team", key }]);
    key.wipe();
    // The frames' bundle, as the courier's spool names it.
    const ids: string[] = [];
    for await (const e of readSources([folder], { maxBundleBytes: 1 << 26, boxes: ["inbox"] })) if (e.type === "bundle") ids.push(receiptIdOf(e.bytes));
    expect(opened.ids).toEqual(ids.sort());
    expect(ids).toHaveLength(written.length);
    // Any key leaves the code for the notes.
    await press(screen, " ", "Notes (1)");
    screen.unmount();
  });
});
