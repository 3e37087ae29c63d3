/**
 * The TUI's shell on real vaults (ink-testing-library, 24 rows): a long note stays in its window
 * and scrolls, `?` lists the keys from the tables the handlers use, a long error wraps instead of
 * being cut, and the idle lock closes the vault and comes back to the same note.
 */
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { newVault, TEST_PASSPHRASE } from "../../test-support/vaults.js";
import { DOWN, END, ENTER, ESC, HOME, PAGE_DOWN, press, tuiFixtures, until } from "../../test-support/tui.js";
import { passphraseBytes } from "../store/index.js";
import type { Vault } from "../vault/vault.js";
import { App } from "./App.js";
import { messageHeight, MessageLine } from "./components/MessageLine.js";
import { parseLockAfter } from "./idle.js";
import { GLOBAL_KEYS, LIST_KEYS } from "./keys.js";

const { root, keep } = tuiFixtures("airlock-shell-");

/** A one-person team with a short note and, newest, a 400-line one. */
async function solo(): Promise<Vault> {
  const v = await newVault(root(), "solo");
  v.init("Solo desk", "sam");
  v.write("notes", [
    { kind: "set", record: "short", field: "title", value: "Short note" },
    { kind: "set", record: "short", field: "body", value: "just one line" },
  ]);
  v.write("notes", [
    { kind: "set", record: "long", field: "title", value: "Long note" },
    { kind: "set", record: "long", field: "body", value: Array.from({ length: 400 }, (_, i) => `row ${i + 1} of the long note`).join("\n") },
  ]);
  return v;
}

const lines = (frame: string): string[] => frame.replace(/\n$/, "").split("\n");

describe("the TUI shell", () => {
  it("keeps a 400-line note inside its window with the header and key bar on screen, and scrolls it", async () => {
    const v = await solo();
    keep(v);
    const screen = render(<App home={v.store.dir} vault={v} />);
    let frame = await until(screen, /lines 1–\d+ of 40\d/);
    // ink writes the frame one line shorter than the terminal (24 rows when it is no terminal).
    expect(lines(frame).length).toBeLessThanOrEqual(23);
    expect(frame).toContain('team "Solo desk"');
    expect(frame).toContain("? help");
    expect(frame).not.toContain("row 40 of");
    frame = await press(screen, ENTER, "esc back");
    frame = await press(screen, PAGE_DOWN, /lines (?!1–)\d+–\d+ of/);
    expect(frame).not.toContain("row 1 of the long note");
    frame = await press(screen, END, "row 400 of the long note");
    expect(lines(frame).length).toBeLessThanOrEqual(23);
    expect(frame).toContain('team "Solo desk"');
    await press(screen, HOME, "row 1 of the long note");
    // Back to the list: ↓ moves the selection again, not the text.
    await press(screen, ESC, "› Long note");
    frame = await press(screen, DOWN, "› Short note");
    expect(frame).toContain("just one line");
  });

  it("lists every key of the list and of everywhere under ?, from the same tables the handlers use", async () => {
    const v = await solo();
    keep(v);
    const screen = render(<App home={v.store.dir} vault={v} />);
    await until(screen, "› Long note");
    const top = await press(screen, "?", "Keys: Notes");
    // On 24 rows the overlay scrolls: its top and its end (End) show every line between them.
    const end = await press(screen, END, "quit (the screen is wiped)");
    const seen = top + end;
    for (const b of [...LIST_KEYS, ...GLOBAL_KEYS]) expect(seen).toContain(b.does);
    expect(seen).toContain("comment");
    await press(screen, ESC, "› Long note");
  });

  it("wraps a long error to the width instead of cutting it", () => {
    const text = `${"a long reason ".repeat(12)}END`;
    const message = { kind: "error" as const, text, hint: "the hint at the very end" };
    expect(messageHeight(message, 80)).toBeGreaterThan(1);
    const frame = render(<MessageLine message={message} columns={100} />).lastFrame() ?? "";
    expect(frame.replace(/\s+/g, " ")).toContain("END — hint: the hint at the very end");
  });

  it("locks after the idle time: the vault closes, only the prompt is drawn, and unlocking comes back to the same note", async () => {
    const v = await solo();
    const home = v.store.dir;
    v.close();
    // Long enough for the ↓ below to land before the lock; the test waits for the lock, never for a time.
    const screen = render(<App home={home} kdf="test-insecure" passphrase={passphraseBytes(TEST_PASSPHRASE)} lockAfterMs={2000} />);
    await until(screen, "› Long note");
    await press(screen, DOWN, "› Short note");
    const locked = await until(screen, "Locked after 2 s without a key");
    expect(locked).toContain("Vault passphrase:");
    for (const gone of ["Short note", "Long note", "just one line", "Solo desk"]) expect(locked).not.toContain(gone);
    await press(screen, TEST_PASSPHRASE, "*".repeat(TEST_PASSPHRASE.length));
    const back = await press(screen, ENTER, "› Short note");
    expect(back).toContain("just one line");
    screen.unmount();
  });

  it("reads --lock-after as seconds, minutes or hours, 0 as never, and refuses anything else as a usage error", () => {
    expect(parseLockAfter("90s")).toBe(90_000);
    expect(parseLockAfter("10m")).toBe(600_000);
    expect(parseLockAfter("1.5h")).toBe(5_400_000);
    expect(parseLockAfter("0")).toBe(0);
    for (const bad of ["10", "ten minutes", "-1m", "0.5s", "30d", ""]) expect(() => parseLockAfter(bad)).toThrow(expect.objectContaining({ code: "USAGE" }));
  });
});
