/**
 * "Open in $EDITOR" with real child processes as the editor: small shell scripts that read and
 * rewrite the file they are given, as an editor would.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EDIT_FOLDER, editInEditor, editorCommand } from "./editor.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function home(): string {
  const d = mkdtempSync(join(tmpdir(), "airlock-editor-"));
  dirs.push(d);
  return d;
}

/** An executable shell script standing in for an editor. */
function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("editInEditor", () => {
  it("hands the text to $EDITOR in a 0700 folder under the vault home, returns what it saved, and leaves nothing behind", () => {
    const h = home();
    const seen = join(h, "seen");
    // Records what it was given (and the folder's mode), writes a swap file, then saves new text.
    const editor = script(h, "ed.sh", `cp "$1" "${seen}"; stat -c %a "$(dirname "$1")" >> "${seen}"; echo swap > "$(dirname "$1")/.swp"; printf 'first line\\nsecond line\\n' > "$1"`);
    const out = editInEditor("old text", { home: h, maxLength: 100, env: { EDITOR: editor } });
    expect(out).toBe("first line\nsecond line");
    expect(readFileSync(seen, "utf8")).toBe("old text700\n");
    expect(statSync(join(h, EDIT_FOLDER)).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(h, EDIT_FOLDER))).toEqual([]);
  });

  it("prefers $VISUAL, takes an editor with arguments, and falls back to vi", () => {
    expect(editorCommand({ VISUAL: "nano -w", EDITOR: "ed" })).toBe("nano -w");
    expect(editorCommand({ EDITOR: " ed " })).toBe("ed");
    expect(editorCommand({ VISUAL: " ", EDITOR: "" })).toBe("vi");
    const h = home();
    const editor = script(h, "ed.sh", `[ "$1" = "--flag" ] && printf 'with %s' "$1" > "$2"`);
    expect(editInEditor("", { home: h, maxLength: 100, env: { VISUAL: `${editor} --flag` } })).toBe("with --flag");
  });

  it("refuses text longer than the field holds and an editor that fails, and cleans up either way", () => {
    const h = home();
    const long = script(h, "long.sh", `head -c 5000 /dev/zero | tr '\\0' x > "$1"`);
    expect(() => editInEditor("keep", { home: h, maxLength: 1000, env: { EDITOR: long } })).toThrow(/longer than this field holds \(1000 characters\)/);
    const fails = script(h, "fails.sh", `exit 3`);
    expect(() => editInEditor("keep", { home: h, maxLength: 1000, env: { EDITOR: fails } })).toThrow(/exited with 3/);
    expect(() => editInEditor("keep", { home: h, maxLength: 1000, env: { EDITOR: join(h, "no-such-editor") } })).toThrow(/exited with 127/);
    expect(readdirSync(join(h, EDIT_FOLDER))).toEqual([]);
  });
});
