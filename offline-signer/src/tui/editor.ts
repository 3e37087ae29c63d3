/**
 * "Open in $EDITOR" for a multi-line field: the text goes to a file the user's editor opens,
 * and comes back when the editor exits.
 *
 * The file holds decrypted text, so it is written under the vault's own folder (the place the
 * user chose for this data, often the encrypted or removable disk), not /tmp, which is shared
 * with every other user and often survives on a plain disk: a fresh 0700 folder per edit, a
 * 0600 file in it. Afterwards every file in that folder (the editor's swap and backup files
 * too) is overwritten with zeros and removed, then the folder. Zeroing is best effort: a
 * journaling or copy-on-write file system, or an SSD, may keep the old blocks; the folder's
 * place is what limits who could read them.
 *
 * The editor runs synchronously with the terminal handed over (stdio inherited): the event
 * loop, and so ink, waits until it exits, so nothing draws over the editor and no key meant
 * for it reaches the TUI.
 */
import { spawnSync } from "node:child_process";
import { closeSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmdirSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AirlockError } from "@airlock/shared";

/** The folder under the vault home that holds the per-edit folders. */
export const EDIT_FOLDER = "edit";

export interface EditOptions {
  /** The vault folder: the edit file goes in a fresh folder under `<home>/edit`. */
  readonly home: string;
  /** Most characters the field holds: a longer text is refused, the field keeps its old text. */
  readonly maxLength: number;
  /** The environment $VISUAL / $EDITOR are read from (tests pass their own). */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** What the file is called, so the editor can pick a mode (".md", ".txt"). */
  readonly suffix?: string | undefined;
}

/** $VISUAL, else $EDITOR, else vi: the order git and crontab use. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  for (const name of ["VISUAL", "EDITOR"]) {
    const v = env[name]?.trim();
    if (v !== undefined && v !== "") return v;
  }
  return "vi";
}

/** Overwrites a regular file with zeros, then removes it; anything else is only removed. */
function wipe(path: string): void {
  try {
    const st = lstatSync(path);
    if (st.isFile()) {
      const fd = openSync(path, "r+");
      try {
        const zeros = new Uint8Array(64 * 1024);
        for (let at = 0; at < st.size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, st.size - at), at);
      } finally {
        closeSync(fd);
      }
    }
    unlinkSync(path);
  } catch {
    // Best effort: a file the editor already removed, or one we cannot open, is not ours to fail on.
  }
}

function wipeFolder(dir: string): void {
  try {
    for (const name of readdirSync(dir)) wipe(join(dir, name));
    rmdirSync(dir);
  } catch {
    // Best effort, as above; a folder left behind is under the vault's 0700 edit folder.
  }
}

/** Reads at most `maxBytes` + 1 bytes: one more than allowed is enough to know it is too long. */
function readBounded(path: string, maxBytes: number): { readonly bytes: Uint8Array; readonly over: boolean } {
  const fd = openSync(path, "r");
  try {
    if (!fstatSync(fd).isFile()) throw new AirlockError("VAULT_BAD_ARGUMENT", "the editor left something other than a file behind");
    const buf = new Uint8Array(maxBytes + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    const bytes = buf.slice(0, Math.min(n, maxBytes));
    buf.fill(0);
    return { bytes, over: n > maxBytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs the user's editor on `text` and returns what they saved. Throws (and the caller keeps
 * the old text) when the editor cannot be started, exits with a failure, or leaves more than
 * the field holds.
 */
export function editInEditor(text: string, options: EditOptions): string {
  const env = options.env ?? process.env;
  const base = join(options.home, EDIT_FOLDER);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(base, "e-"));
  const file = join(dir, `airlock${options.suffix ?? ".txt"}`);
  try {
    const fd = openSync(file, "wx", 0o600);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    const editor = editorCommand(env);
    // Through sh, as git does: $EDITOR may carry arguments ("emacs -nw", "code --wait").
    const run = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "airlock-editor", file], { stdio: "inherit", env });
    if (run.error !== undefined) throw new AirlockError("VAULT_BAD_ARGUMENT", `could not start the editor (${editor}): ${run.error.message}`, { hint: "set VISUAL or EDITOR to an editor installed here" });
    if (run.status !== 0) {
      throw new AirlockError("VAULT_BAD_ARGUMENT", `the editor (${editor}) exited with ${run.status ?? run.signal ?? "a failure"}: the text was not changed`, {
        hint: run.status === 127 ? "set VISUAL or EDITOR to an editor installed here" : "save and quit the editor normally to keep the text",
      });
    }
    // UTF-8 takes at most 4 bytes a character: a file over that cannot fit the field.
    const { bytes, over } = readBounded(file, options.maxLength * 4);
    const back = new TextDecoder().decode(bytes);
    bytes.fill(0);
    if (over || Array.from(back).length > options.maxLength) {
      throw new AirlockError("VAULT_BAD_ARGUMENT", `the edited text is longer than this field holds (${options.maxLength} characters): the text was not changed`, { hint: "shorten it, or keep the rest in an attached file" });
    }
    // Editors end the file with a newline; the field did not have one.
    return back.endsWith("\n") && !text.endsWith("\n") ? back.slice(0, -1) : back;
  } finally {
    wipeFolder(dir);
  }
}
