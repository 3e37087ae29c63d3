/**
 * The forms in a real pseudo-terminal (tmux, shared/test-support/tmux.ts) running the real `airlock`
 * binary at 80x24: a 60-line note pasted with bracketed paste (tmux paste-buffer -p) lands wholly
 * in the body, and a note written through $EDITOR (a script standing in for the editor) comes
 * back; both are read back with `airlock notes show --json`. Each step waits for the screen.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { airlock, AIRLOCK_BIN, airlockBatch, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { haveTmux, TmuxPane } from "../../../shared/test-support/tmux.js";

const root = mkdtempSync(join(tmpdir(), "airlock-forms-pty-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const panes: TmuxPane[] = [];
afterEach(() => {
  for (const p of panes.splice(0)) p.close();
});

const PASTED = Array.from({ length: 60 }, (_, i) => `pasted line ${String(i + 1).padStart(2, "0")} of the heron report`);
const EDITED = ["written in the editor", "second line from the editor"];

interface Note {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly tags: readonly string[];
}

function notes(env: NodeJS.ProcessEnv): Note[] {
  const list = airlock(["notes", "list", "--json"], env);
  expect(list.status, list.stderr).toBe(0);
  return (JSON.parse(list.stdout) as { notes: Note[] }).notes.map((n) => {
    const shown = airlock(["notes", "show", n.id, "--json"], env);
    expect(shown.status, shown.stderr).toBe(0);
    return (JSON.parse(shown.stdout) as { note: Note }).note;
  });
}

describe.skipIf(!haveTmux())("forms in a real terminal (tmux)", () => {
  it("takes a pasted 60-line note whole into the body and a note written in $EDITOR, and saves both", async () => {
    const home = join(root, "vault");
    const env = { AIRLOCK_HOME: home, AIRLOCK_PASSPHRASE: CLI_PASSPHRASE, AIRLOCK_INSECURE_TEST_KDF: "1" };
    for (const r of airlockBatch([["init", "--team", "Forms team", "--name", "alice"]], env)) expect(r.status, r.stderr).toBe(0);
    const editor = join(root, "editor.sh");
    writeFileSync(editor, `#!/bin/sh\nprintf '${EDITED.join("\\n")}\\n' > "$1"\n`);
    chmodSync(editor, 0o755);

    // editText's private folder goes under the runtime dir: checked empty at the end.
    const runtime = join(root, "runtime");
    mkdirSync(runtime, { mode: 0o700 });
    const pane = TmuxPane.start({ command: [process.execPath, AIRLOCK_BIN, "tui"], env: { ...env, EDITOR: editor, VISUAL: "", XDG_RUNTIME_DIR: runtime }, columns: 80, rows: 24 });
    panes.push(pane);
    await pane.until('team "Forms team"');

    pane.type("a");
    await pane.until("New note in notes");
    pane.type("Pasted heron");
    await pane.until("Pasted heron");
    pane.press("Tab");
    await pane.until(/› Body/);
    pane.paste(PASTED.join("\n"));
    // The last lines show, the rest are counted; the form is still open on the body, tags empty.
    let screen = await pane.until("pasted line 60 of the heron report");
    expect(screen).toMatch(/more line\(s\) above/);
    expect(screen).toMatch(/› Body/);
    expect(screen).toMatch(/Tags \(comma-separated\):\s*│/);
    expect(screen).toContain('team "Forms team"');
    pane.press("C-s");
    await pane.until("Added “Pasted heron”");

    pane.type("a");
    await pane.until("New note in notes");
    pane.type("Edited heron");
    await pane.until("Edited heron");
    pane.press("Tab");
    await pane.until(/› Body/);
    pane.press("C-e");
    screen = await pane.until("second line from the editor");
    expect(screen).toContain('team "Forms team"');
    pane.press("C-s");
    await pane.until("Added “Edited heron”");
    pane.type("q");
    expect(await pane.exited()).toBe(0);

    const saved = notes(env);
    const pasted = saved.find((n) => n.title === "Pasted heron");
    const edited = saved.find((n) => n.title === "Edited heron");
    expect(pasted?.body).toBe(PASTED.join("\n"));
    expect(pasted?.tags).toEqual([]);
    expect(edited?.body).toBe(EDITED.join("\n"));
    // The editor's file was wiped and removed.
    expect(readdirSync(runtime)).toEqual([]);
  });
});
