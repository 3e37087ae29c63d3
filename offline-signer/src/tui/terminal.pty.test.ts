/**
 * The real `airlock` binary in a real pseudo-terminal (tmux, shared/test-support/tmux.ts) at 80x24: the
 * layout holds at that size and at 200x60, a long note scrolls inside its window, `/` searches,
 * `?` lists the keys, and after `q` no note text is left on the screen or in the scrollback.
 * NO_COLOR takes every colour away. Each step waits for what the screen shows.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { AIRLOCK_BIN, airlockBatch, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { haveTmux, TmuxPane } from "../../../shared/test-support/tmux.js";

const root = mkdtempSync(join(tmpdir(), "airlock-pty-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const panes: TmuxPane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.close();
});

/** Words only this test puts in notes: any of them left on the terminal after quitting is a leak. */
const SECRET_TITLE = "Zanzibar handover";
const LONG_TITLE = "Quillfeather dossier";
const BODY_WORD = "marmalade";
const TYPED_TITLE = "Typed kestrel note";

/** A team with a long note (300 numbered lines, ~20 KB) made through the CLI. */
function vaultWithNotes(name: string): { home: string; env: NodeJS.ProcessEnv } {
  const home = join(root, name);
  const body = join(root, `${name}-body.txt`);
  writeFileSync(body, Array.from({ length: 300 }, (_, i) => `line ${String(i + 1).padStart(3, "0")} of the ${BODY_WORD} plan, with enough words to wrap at eighty columns`).join("\n"));
  const env = { AIRLOCK_HOME: home, AIRLOCK_PASSPHRASE: CLI_PASSPHRASE, AIRLOCK_INSECURE_TEST_KDF: "1" };
  const results = airlockBatch(
    [
      ["init", "--team", "Pty team", "--name", "alice"],
      ["notes", "add", "--title", SECRET_TITLE, "--body", `meet at the ${BODY_WORD} stall`],
      ["notes", "add", "--title", LONG_TITLE, "--body-file", body],
    ],
    env,
  );
  for (const r of results) expect(r.status, r.stderr).toBe(0);
  return { home, env };
}

/** With AIRLOCK_TUI_CAPTURE_DIR set, keeps screens as text files (the ones in docs/user-guide.md come from here). */
function keep(name: string, screen: string): void {
  const dir = process.env["AIRLOCK_TUI_CAPTURE_DIR"];
  if (dir !== undefined && dir !== "") writeFileSync(join(dir, `${name}.txt`), screen);
}

function start(env: NodeJS.ProcessEnv, columns = 80, rows = 24): TmuxPane {
  const pane = TmuxPane.start({ command: [process.execPath, AIRLOCK_BIN, "tui"], env, columns, rows });
  panes.push(pane);
  return pane;
}

/** Every line of the screen within the pane's width, and no more lines than it has. */
function expectFits(screen: string, columns: number, rows: number): void {
  const lines = screen.replace(/\n$/, "").split("\n");
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(columns);
}

/** Header, tabs and key bar are all on one screen. */
const chromeOnScreen = (s: string): boolean => s.includes('team "Pty team"') && s.includes("Collections:") && s.includes("? help");

describe.skipIf(!haveTmux())("the TUI in a real terminal (tmux)", () => {
  it("keeps header, tabs and key bar on screen at 80x24 and 200x60, scrolls a long note, searches, and leaves nothing behind on quit", async () => {
    const { env } = vaultWithNotes("main");
    const pane = start(env);
    let screen = await pane.until(chromeOnScreen);
    expectFits(screen, 80, 24);
    expect(screen).toContain(LONG_TITLE);
    // The long note is selected (newest) and shown in a window: 300 lines never push the header off.
    screen = await pane.until(/lines 1–\d+ of \d+/);
    expect(chromeOnScreen(screen)).toBe(true);

    // Add a note by typing: the form, then the list with it and the header still there.
    pane.type("a");
    await pane.until("New note in notes");
    pane.type(TYPED_TITLE);
    await pane.until(TYPED_TITLE);
    pane.press("Tab");
    pane.type("typed body");
    await pane.until("typed body");
    pane.press("C-s");
    screen = await pane.until(`Added “${TYPED_TITLE}”`);
    expect(chromeOnScreen(screen)).toBe(true);
    expectFits(screen, 80, 24);
    keep("list", screen);

    // Open the long note full width and scroll it: Page Down, End, Home.
    pane.press("Down");
    screen = await pane.until(/› Quillfeather dossier/);
    pane.press("Enter");
    await pane.until("esc back");
    pane.press("PageDown");
    screen = await pane.until(/lines (?!1–)\d+–\d+ of/);
    expect(chromeOnScreen(screen)).toBe(true);
    keep("reading", screen);
    pane.press("End");
    screen = await pane.until("line 300 of the");
    expect(screen).not.toContain("line 001 of the");
    expectFits(screen, 80, 24);
    pane.press("Home");
    await pane.until("line 001 of the");
    pane.press("Escape");
    await pane.until(/› Quillfeather dossier/);

    // `?` lists the keys of this screen; any of its close keys goes back.
    pane.type("?");
    screen = await pane.until("Keys: Notes");
    expect(screen).toContain("read the record full width");
    expectFits(screen, 80, 24);
    keep("help", screen);
    pane.press("Escape");
    await pane.until(chromeOnScreen);

    // `/` from the list: type, pick, open in its collection.
    pane.type("/");
    await pane.until("Search:");
    pane.type("zanzib");
    await pane.until(/1 result/);
    pane.press("Enter");
    screen = await pane.until(`meet at the ${BODY_WORD} stall`);
    expect(screen).toMatch(/› Zanzibar handover/);
    expect(chromeOnScreen(screen)).toBe(true);

    // Bigger and back: the frame is redrawn for each size, never taller than the pane.
    pane.resize(200, 60);
    screen = await pane.until((s) => chromeOnScreen(s) && s.split("\n").some((l) => l.length > 100));
    expectFits(screen, 200, 60);
    pane.resize(80, 24);
    screen = await pane.until((s) => chromeOnScreen(s) && s.split("\n").every((l) => Array.from(l).length <= 80));
    expectFits(screen, 80, 24);
    expect(pane.size()).toEqual([80, 24]);

    pane.type("q");
    expect(await pane.exited()).toBe(0);
    // Nothing the vault held is left: not on the screen the shell is back to, not in its history.
    const everything = pane.history();
    for (const word of [SECRET_TITLE, LONG_TITLE, TYPED_TITLE, BODY_WORD, "Pty team", "Collections:"]) expect(everything).not.toContain(word);
  });

  it("wipes the screen on SIGTERM and on Ctrl-C too", async () => {
    const { env } = vaultWithNotes("term");
    const term = start(env);
    const ctrlC = start(env);
    await term.until(SECRET_TITLE);
    term.signal("TERM");
    expect(await term.exited()).toBe(128 + 15);
    await ctrlC.until(SECRET_TITLE);
    ctrlC.press("C-c");
    expect(await ctrlC.exited()).toBe(0);
    for (const pane of [term, ctrlC]) {
      const everything = pane.history();
      for (const word of [SECRET_TITLE, LONG_TITLE, BODY_WORD]) expect(everything).not.toContain(word);
    }
  });

  it("draws without colour under NO_COLOR, with it otherwise", async () => {
    const { env } = vaultWithNotes("colour");
    // Colour SGR parameters: 30-38 and 40-48 (38/48 extended colours), 90-97, 100-107; 39 and 49
    // are the default colours tmux writes as resets.
    const ESC = String.fromCharCode(0x1b);
    const colour = new RegExp(`${ESC}\\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m`);
    const plain = start({ ...env, NO_COLOR: "1" });
    await plain.until(chromeOnScreen);
    expect(plain.screen({ escapes: true })).not.toMatch(colour);
    expect(plain.screen({ escapes: true })).toMatch(new RegExp(`${ESC}\\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m`)); // the selection stays inverse
    const coloured = start(env);
    await coloured.until(chromeOnScreen);
    expect(coloured.screen({ escapes: true })).toMatch(colour);
  });
});
