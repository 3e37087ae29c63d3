/**
 * How commands take text that must never be a command-line argument (argv is readable by every
 * process on the machine through /proc, and shells keep history): `--body -` reads standard
 * input, `--body-file FILE` a file, `editText` opens the user's editor on a private temporary
 * file, and `readSecretLine` reads a `--password-stdin` value. Every read is bounded before it
 * allocates, must be UTF-8 without NUL, and comes back with CRLF turned into LF.
 */
import { spawnSync } from "node:child_process";
import { isUtf8 } from "node:buffer";
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AirlockError, errnoCode } from "@airlock/shared";
import { findOnPath } from "./which.js";

/** The largest text body a command accepts, in bytes of UTF-8. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The largest `--password-stdin` value, in bytes. */
export const MAX_SECRET_BYTES = 4096;

const BODY_HINT = "a text body is limited to 1 MiB; keep large files out of text fields";
const NOT_TEXT_HINT = "give UTF-8 text (convert with `iconv -f LATIN1 -t UTF-8 FILE`); binary files are not accepted as text";

export interface BodySpec {
  /** `--body`: the text itself, or "-" to read standard input to its end. */
  readonly body?: string | undefined;
  /** `--body-file`: a file holding the text. */
  readonly bodyFile?: string | undefined;
  readonly stdin: NodeJS.ReadableStream;
}

/**
 * The text given by `--body TEXT`, `--body -` (standard input) or `--body-file FILE`, CRLF
 * normalised to LF; undefined when neither flag was given (the caller may then open the editor).
 */
export async function readBody(spec: BodySpec): Promise<string | undefined> {
  if (spec.body !== undefined && spec.bodyFile !== undefined) {
    throw new AirlockError("INPUT_CONFLICT", "give either --body or --body-file, not both", {
      hint: "use --body - to read the text from standard input, or --body-file FILE to read it from a file",
    });
  }
  if (spec.bodyFile !== undefined) return normaliseNewlines(decodeText(readFileBounded(spec.bodyFile, MAX_BODY_BYTES), spec.bodyFile));
  if (spec.body === "-") {
    const bytes = await readStreamBounded(spec.stdin, MAX_BODY_BYTES, "standard input (--body -)", BODY_HINT);
    return normaliseNewlines(decodeText(bytes, "standard input"));
  }
  return spec.body === undefined ? undefined : normaliseNewlines(spec.body);
}

/**
 * A `--password-stdin` value: standard input to its end, at most 4 KiB, with one trailing
 * newline (LF or CRLF) removed. The caller owns the bytes and should wipe them after use.
 */
export async function readSecretLine(stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  const bytes = await readStreamBounded(stdin, MAX_SECRET_BYTES, "the secret on standard input", "a secret read with --password-stdin is limited to 4 KiB");
  return secretText(bytes, "the secret on standard input", "pipe the secret as UTF-8 text with at most one trailing newline");
}

/** A secret kept in a file (a KDBX database's password): the same rules as `readSecretLine`. */
export function readSecretFile(path: string): Uint8Array {
  const bytes = readFileBounded(path, MAX_SECRET_BYTES, "a secret file holds the secret alone, at most 4 KiB");
  return secretText(bytes, `the secret in ${path}`, "keep only the secret in the file, as UTF-8 text with at most one trailing newline");
}

/** The secret without one trailing newline (LF or CRLF), checked to be text; `bytes` is wiped. */
function secretText(bytes: Uint8Array, what: string, hint: string): Uint8Array {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) {
    end--;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
  }
  const out = bytes.slice(0, end);
  bytes.fill(0);
  const bad = findNonText(out);
  if (bad !== undefined) {
    out.fill(0);
    // The offset only: the value itself is never echoed.
    throw new AirlockError("INPUT_NOT_TEXT", `${what} is not UTF-8 text: ${bad.reason} at byte offset ${bad.offset}`, { hint });
  }
  return out;
}

export interface NonText {
  /** Offset of the first byte of the offending sequence. */
  readonly offset: number;
  readonly reason: string;
}

/**
 * Where bytes stop being UTF-8 text (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF), or hold a NUL; undefined for valid text. The offset lets a user find the spot
 * with `cmp` or a hex viewer.
 */
export function findNonText(bytes: Uint8Array): NonText | undefined {
  // Fast path: node's validator; the scan below only runs to locate an error.
  if (isUtf8(bytes)) {
    const nul = bytes.indexOf(0);
    return nul < 0 ? undefined : { offset: nul, reason: "a NUL byte" };
  }
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0) return { offset: i, reason: "a NUL byte" };
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else {
      return { offset: i, reason: `byte 0x${b.toString(16).padStart(2, "0")} that cannot start a UTF-8 character` };
    }
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return { offset: i, reason: "a UTF-8 character cut off by the end of the input" };
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (c < min || c > max) return { offset: i, reason: "an invalid UTF-8 sequence" };
    }
    i += need + 1;
  }
  return undefined;
}

function decodeText(bytes: Uint8Array, source: string): string {
  const bad = findNonText(bytes);
  if (bad !== undefined) {
    throw new AirlockError("INPUT_NOT_TEXT", `${source} is not UTF-8 text: ${bad.reason} at byte offset ${bad.offset}`, { hint: NOT_TEXT_HINT });
  }
  // A byte order mark some Windows editors add is not part of the text.
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString("utf8");
}

function normaliseNewlines(text: string): string {
  return text.replace(/\r\n/g, "\n");
}

function tooLarge(what: string, limit: number, hint: string): AirlockError {
  return new AirlockError("INPUT_TOO_LARGE", `${what} is larger than ${limit} bytes`, { hint });
}

/** Reads at most `limit` bytes; one more byte available is an error, whatever fstat says (FIFOs, /proc). */
/** A whole file, refused past `limit` bytes before more than limit + 1 bytes are allocated (no directories). */
export function readFileBounded(path: string, limit: number, hint: string = BODY_HINT): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (e) {
    throw new AirlockError("INPUT_UNREADABLE", `cannot read ${path} (${errnoCode(e) ?? "error"})`, { hint: "check the path and its permissions", cause: e });
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new AirlockError("INPUT_UNREADABLE", `${path} is a directory`, { hint: "give the path of a text file" });
    const buf = new Uint8Array(limit + 1);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, null);
      if (n === 0) break;
      at += n;
    }
    if (at > limit) throw tooLarge(path, limit, hint);
    return buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** Collects a stream to its end, failing as soon as it passes `limit` bytes; chunks are wiped. */
async function readStreamBounded(stream: NodeJS.ReadableStream, limit: number, what: string, hint: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const wipe = (): void => {
    for (const c of chunks) c.fill(0);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      total += bytes.length;
      chunks.push(bytes);
      if (total > limit) throw tooLarge(what, limit, hint);
    }
  } catch (e) {
    wipe();
    throw e;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  wipe();
  return out;
}

// ---------------------------------------------------------------------------------------------
// The editor

export interface EditOptions {
  /** The editor command, overriding $VISUAL and $EDITOR; may hold arguments (`code --wait`). */
  readonly editor?: string | undefined;
  /** Where the private directory is made; default: $XDG_RUNTIME_DIR, else /dev/shm, else the OS temp dir. */
  readonly tmpDir?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** Signals that end a terminal session or ask us to stop: the temp file is wiped first, then they take effect. */
const DEFERRED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const EDIT_FILE = "airlock-edit.txt";

/**
 * Opens the user's editor on `initial` and returns the edited text (CRLF as LF), or undefined
 * when the user left it unchanged or emptied it (as git does with a commit message). The text
 * lives in a 0600 file inside a fresh 0700 directory, on a tmpfs where there is one; the file,
 * anything the editor left beside it (swap and backup files) and the original inode are
 * overwritten with zeros and removed afterwards, whether the editor succeeded, failed or was
 * interrupted by SIGINT/SIGTERM/SIGHUP (which then take effect). SIGKILL cannot be caught.
 */
export async function editText(initial: string, options: EditOptions = {}): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const argv = editorCommand(options.editor, env);
  const dir = makePrivateDir(options.tmpDir, env);
  const file = join(dir, EDIT_FILE);
  const received: NodeJS.Signals[] = [];
  const onSignal = (s: NodeJS.Signals): void => {
    received.push(s);
  };
  for (const s of DEFERRED_SIGNALS) process.on(s, onSignal);
  let held: number | undefined;
  let outcome: { text: string | undefined } | { error: unknown };
  try {
    held = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const initialBytes = Buffer.from(normaliseNewlines(initial), "utf8");
    writeSync(held, initialBytes);
    initialBytes.fill(0);
    outcome = { text: runEditor(argv, file, env, initial) };
  } catch (e) {
    outcome = { error: e };
  }
  const wipeError = wipeDir(dir, held);
  // A signal that arrived while the editor ran waits in libuv's signal pipe until the loop
  // polls. We may be running inside a poll callback, whose check phase comes before the next
  // poll; an immediate queued from the first immediate runs only after a full poll phase.
  await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  for (const s of DEFERRED_SIGNALS) process.off(s, onSignal);
  const signal = received[0];
  if (signal !== undefined) {
    // Default action (usually: exit) now that nothing is left on disk; other listeners run instead if there are any.
    process.kill(process.pid, signal);
    throw new AirlockError("EDITOR_FAILED", `editing was interrupted by ${signal}`, { hint: "nothing was saved; the temporary file was wiped" });
  }
  if ("error" in outcome) throw outcome.error;
  if (wipeError !== undefined) throw wipeError;
  return outcome.text;
}

function runEditor(argv: readonly string[], file: string, env: NodeJS.ProcessEnv, initial: string): string | undefined {
  const [program, ...args] = argv as [string, ...string[]];
  const r = spawnSync(program, [...args, file], { stdio: "inherit", env });
  if (r.error !== undefined) {
    const code = errnoCode(r.error);
    throw new AirlockError("EDITOR_FAILED", `cannot start the editor ${program} (${code ?? r.error.message})`, {
      hint: code === "ENOENT" ? "set $EDITOR (or $VISUAL) to an editor that is installed, e.g. EDITOR=nano" : "check $EDITOR / $VISUAL",
      cause: r.error,
    });
  }
  if (r.signal !== null) {
    throw new AirlockError("EDITOR_FAILED", `the editor ${program} was killed by ${r.signal}`, { hint: "nothing was saved; the temporary file was wiped" });
  }
  if (r.status !== 0) {
    throw new AirlockError("EDITOR_FAILED", `the editor ${program} exited with status ${r.status}`, {
      hint: "nothing was saved; quit the editor normally to keep the text (in vi: `:wq`)",
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileBounded(file, MAX_BODY_BYTES);
  } catch (e) {
    if (e instanceof AirlockError && e.code === "INPUT_TOO_LARGE") throw tooLarge("the edited text", MAX_BODY_BYTES, BODY_HINT);
    throw new AirlockError("EDITOR_FAILED", "the editor did not leave the text file behind", { hint: "save the file under the name it was opened with", cause: e });
  }
  try {
    const text = normaliseNewlines(decodeText(bytes, "the edited text"));
    if (text.trim() === "" || text === normaliseNewlines(initial)) return undefined;
    return text;
  } finally {
    bytes.fill(0);
  }
}

/** The editor command as program + arguments: the option, $VISUAL, $EDITOR, else vi or nano from PATH. */
export function editorCommand(editor: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const chosen = [editor, env["VISUAL"], env["EDITOR"]].find((e) => e !== undefined && e.trim() !== "");
  if (chosen !== undefined) {
    const words = splitShellWords(chosen);
    if (words.length === 0) throw new AirlockError("EDITOR_FAILED", "the editor command is empty", { hint: "set $EDITOR, e.g. EDITOR=nano" });
    return words;
  }
  for (const name of ["vi", "nano"]) {
    const found = findOnPath(name, env);
    if (found !== undefined) return [found];
  }
  throw new AirlockError("EDITOR_FAILED", "no editor: $VISUAL and $EDITOR are unset and neither vi nor nano is on PATH", {
    hint: "set $EDITOR to your editor, or give the text with --body - or --body-file FILE",
  });
}

/**
 * Splits a command into words as a POSIX shell would, without running one (so `$EDITOR` cannot
 * inject commands): blanks separate words, '…' is literal, "…" keeps \" \\ \$ \` escapes, and a
 * backslash outside quotes escapes the next character. Nothing is expanded.
 */
export function splitShellWords(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const unterminated = (what: string): never => {
    throw new AirlockError("EDITOR_FAILED", `the editor command has an unterminated ${what}: ${command}`, { hint: "fix the quoting in $EDITOR / $VISUAL" });
  };
  while (i < command.length) {
    const c = command[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) unterminated("single quote");
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= command.length) unterminated("double quote");
        const d = command[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\" && i + 1 < command.length && '"\\$`\n'.includes(command[i + 1]!)) {
          if (command[i + 1] !== "\n") word += command[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
    } else if (c === "\\") {
      if (i + 1 >= command.length) unterminated("backslash");
      if (command[i + 1] !== "\n") {
        word += command[i + 1];
        inWord = true;
      }
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * A fresh 0700 directory for the plaintext, preferring memory-backed places: the per-user
 * $XDG_RUNTIME_DIR, then /dev/shm; zeros written over a file on an SSD may never reach the
 * cells that held it, zeros over tmpfs pages do.
 */
function makePrivateDir(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  const candidates = explicit !== undefined ? [explicit] : [env["XDG_RUNTIME_DIR"], "/dev/shm", tmpdir()];
  let lastError: unknown;
  for (const base of candidates) {
    if (base === undefined || base === "") continue;
    try {
      return mkdtempSync(join(base, "airlock-edit-"));
    } catch (e) {
      lastError = e;
    }
  }
  throw new AirlockError("EDITOR_FAILED", `cannot make a private temporary directory (${errnoCode(lastError) ?? "error"})`, {
    hint: "check that $XDG_RUNTIME_DIR, /dev/shm or $TMPDIR is writable",
    cause: lastError,
  });
}

const ZEROS = new Uint8Array(64 * 1024);

function zeroFd(fd: number): void {
  let left = fstatSync(fd).size;
  let at = 0;
  while (left > 0) {
    const n = writeSync(fd, ZEROS, 0, Math.min(left, ZEROS.length), at);
    at += n;
    left -= n;
  }
  fsyncSync(fd);
}

/**
 * Zeros the original inode through the descriptor held since it was created (an editor that
 * saves by writing a new file and renaming it leaves that inode unlinked but not erased), then
 * every regular file in the directory (the text, swap and backup files), then removes it all.
 * Returns the first failure instead of throwing, so it always runs to the end.
 */
function wipeDir(dir: string, held: number | undefined): AirlockError | undefined {
  let failure: unknown;
  const attempt = (step: () => void): void => {
    try {
      step();
    } catch (e) {
      failure ??= e;
    }
  };
  if (held !== undefined) {
    attempt(() => zeroFd(held));
    attempt(() => closeSync(held));
  }
  let names: string[] = [];
  attempt(() => {
    names = readdirSync(dir);
  });
  for (const name of names) {
    const path = join(dir, name);
    attempt(() => {
      if (!lstatSync(path).isFile()) return;
      chmodSync(path, 0o600); // an editor may leave a read-only backup
      const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
      try {
        zeroFd(fd);
      } finally {
        closeSync(fd);
      }
    });
  }
  attempt(() => rmSync(dir, { recursive: true, force: true }));
  if (failure === undefined) return undefined;
  return new AirlockError("EDITOR_FAILED", `could not wipe the temporary directory ${dir} (${errnoCode(failure) ?? "error"})`, {
    hint: `remove it yourself (shred -u ${dir}/* && rmdir ${dir}): it may hold the plaintext`,
    cause: failure,
  });
}
