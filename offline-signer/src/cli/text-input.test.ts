/**
 * Text input with real parts: real pipes from child processes as standard input, real files,
 * and real programs (sed, sh) as the editor, so the private file, its wiping and the signal
 * path are observed from outside (a hard link to the temporary file survives its removal and
 * shows what was written over it).
 */
import { thrownAirlockError as thrown } from "../../test-support/errors.js";
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isAirlockError, type AirlockError } from "@airlock/shared";
import { editorCommand, editText, findNonText, MAX_BODY_BYTES, MAX_SECRET_BYTES, readBody, readSecretFile, readSecretLine, splitShellWords } from "./text-input.js";

const made: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "airlock-text-input-"));
  made.push(d);
  return d;
}
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Standard input as a command line would give it: the stdout pipe of a real process. */
function pipeFrom(bytes: Uint8Array): NodeJS.ReadableStream {
  const dir = tempDir();
  const file = join(dir, "input");
  writeFileSync(file, bytes);
  return spawn("cat", [file], { stdio: ["ignore", "pipe", "inherit"] }).stdout;
}

async function rejection(p: Promise<unknown>): Promise<AirlockError> {
  try {
    await p;
  } catch (e) {
    if (isAirlockError(e)) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}


const noStdin = createReadStream("/dev/null");

describe("readBody", () => {
  it("takes --body TEXT as is, CRLF as LF", async () => {
    expect(await readBody({ body: "a\r\nb\rc\n", stdin: noStdin })).toBe("a\nb\rc\n");
    expect(await readBody({ stdin: noStdin })).toBeUndefined();
  });

  it("reads --body - from standard input to its end, up to exactly 1 MiB", async () => {
    expect(await readBody({ body: "-", stdin: pipeFrom(Buffer.from("line one\r\nligne deux é\n")) })).toBe("line one\nligne deux é\n");
    const full = Buffer.alloc(MAX_BODY_BYTES, "x");
    expect((await readBody({ body: "-", stdin: pipeFrom(full) }))?.length).toBe(MAX_BODY_BYTES);
    const e = await rejection(readBody({ body: "-", stdin: pipeFrom(Buffer.alloc(MAX_BODY_BYTES + 1, "x")) }));
    expect(e.code).toBe("INPUT_TOO_LARGE");
    expect(e.hint).toBeDefined();
  });

  it("refuses binary on standard input with the byte offset", async () => {
    const e = await rejection(readBody({ body: "-", stdin: pipeFrom(Buffer.from([0x61, 0x62, 0xff, 0x63])) }));
    expect(e.code).toBe("INPUT_NOT_TEXT");
    expect(e.message).toContain("standard input");
    expect(e.message).toContain("byte offset 2");
  });

  it("reads --body-file, dropping a byte order mark", async () => {
    const dir = tempDir();
    const file = join(dir, "note.txt");
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("Überschrift\r\n\r\ntext\r\n")]));
    expect(await readBody({ bodyFile: file, stdin: noStdin })).toBe("Überschrift\n\ntext\n");
  });

  it("names the file and the offset of invalid UTF-8 and of NUL", async () => {
    const dir = tempDir();
    const latin1 = join(dir, "latin1.txt");
    writeFileSync(latin1, Buffer.from("caf\xe9 au lait", "latin1"));
    const e1 = await rejection(readBody({ bodyFile: latin1, stdin: noStdin }));
    expect(e1.code).toBe("INPUT_NOT_TEXT");
    expect(e1.message).toContain(latin1);
    expect(e1.message).toContain("byte offset 3");
    const nul = join(dir, "nul.bin");
    writeFileSync(nul, Buffer.from("abc\0def"));
    const e2 = await rejection(readBody({ bodyFile: nul, stdin: noStdin }));
    expect(e2.code).toBe("INPUT_NOT_TEXT");
    expect(e2.message).toContain("NUL byte at byte offset 3");
  });

  it("bounds --body-file, including files whose size fstat does not tell", async () => {
    const dir = tempDir();
    const big = join(dir, "big.txt");
    writeFileSync(big, Buffer.alloc(MAX_BODY_BYTES + 1, "y"));
    expect((await rejection(readBody({ bodyFile: big, stdin: noStdin }))).code).toBe("INPUT_TOO_LARGE");
    // /dev/zero reports size 0 and never ends: only the bound stops the read.
    expect((await rejection(readBody({ bodyFile: "/dev/zero", stdin: noStdin }))).code).toBe("INPUT_TOO_LARGE");
  });

  it("says what is wrong with a missing file or a directory", async () => {
    const dir = tempDir();
    const e1 = await rejection(readBody({ bodyFile: join(dir, "nope.txt"), stdin: noStdin }));
    expect([e1.code, e1.message]).toEqual(["INPUT_UNREADABLE", `cannot read ${join(dir, "nope.txt")} (ENOENT)`]);
    expect((await rejection(readBody({ bodyFile: dir, stdin: noStdin }))).code).toBe("INPUT_UNREADABLE");
  });

  it("refuses --body together with --body-file", async () => {
    const e = await rejection(readBody({ body: "x", bodyFile: "/etc/hostname", stdin: noStdin }));
    expect(e.code).toBe("INPUT_CONFLICT");
    expect(e.hint).toContain("--body -");
  });
});

describe("readSecretFile", () => {
  it("strips one trailing newline, refuses a file past 4 KiB before reading it whole, and never echoes the value", () => {
    const dir = tempDir();
    const ok = join(dir, "ok");
    writeFileSync(ok, "kdbx pass\r\n");
    expect(Buffer.from(readSecretFile(ok)).toString()).toBe("kdbx pass");
    const big = join(dir, "big");
    writeFileSync(big, Buffer.alloc(MAX_SECRET_BYTES + 1, 0x61));
    expect(() => readSecretFile(big)).toThrow(expect.objectContaining({ code: "INPUT_TOO_LARGE" }) as Error);
    const bad = join(dir, "bad");
    writeFileSync(bad, Buffer.from([0x68, 0x75, 0x6e, 0x74, 0xff]));
    let message = "";
    try {
      readSecretFile(bad);
    } catch (e) {
      message = (e as AirlockError).message;
      expect((e as AirlockError).code).toBe("INPUT_NOT_TEXT");
    }
    expect(message).toMatch(/byte offset 4/);
    expect(message).not.toMatch(/hunt/);
  });
});

describe("readSecretLine", () => {
  const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");

  it("strips exactly one trailing newline", async () => {
    expect(text(await readSecretLine(pipeFrom(Buffer.from("hunter2\n"))))).toBe("hunter2");
    expect(text(await readSecretLine(pipeFrom(Buffer.from("hunter2\r\n"))))).toBe("hunter2");
    expect(text(await readSecretLine(pipeFrom(Buffer.from("hunter2\n\n"))))).toBe("hunter2\n");
    expect(text(await readSecretLine(pipeFrom(Buffer.from(" pass phrase "))))).toBe(" pass phrase ");
    expect((await readSecretLine(pipeFrom(new Uint8Array(0)))).length).toBe(0);
  });

  it("is bounded at 4 KiB (plus its newline) and never echoes the value", async () => {
    expect((await readSecretLine(pipeFrom(Buffer.alloc(MAX_SECRET_BYTES, "s")))).length).toBe(MAX_SECRET_BYTES);
    expect((await rejection(readSecretLine(pipeFrom(Buffer.alloc(MAX_SECRET_BYTES + 1, "s"))))).code).toBe("INPUT_TOO_LARGE");
    const e = await rejection(readSecretLine(pipeFrom(Buffer.from("sekrit\xff", "latin1"))));
    expect(e.code).toBe("INPUT_NOT_TEXT");
    expect(e.message).not.toContain("sekrit");
  });
});

describe("findNonText", () => {
  it("locates the first bad sequence", () => {
    const at = (bytes: number[]): number | undefined => findNonText(Uint8Array.from(bytes))?.offset;
    expect(at([0x61, 0xe2, 0x82, 0xac])).toBeUndefined(); // a€
    expect(at([0x61, 0xc0, 0x80])).toBe(1); // overlong NUL
    expect(at([0x61, 0x62, 0xe0, 0x80, 0x80])).toBe(2); // overlong
    expect(at([0xed, 0xa0, 0x80])).toBe(0); // surrogate
    expect(at([0x61, 0xf4, 0x90, 0x80, 0x80])).toBe(1); // above U+10FFFF
    expect(at([0x61, 0xe2, 0x82])).toBe(1); // cut off
    expect(at([0x61, 0x80])).toBe(1); // stray continuation
    expect(at([0x61, 0x00])).toBe(1);
  });

  it("agrees with node's validator, and everything before the offset is text", () => {
    const byte = fc.oneof(fc.integer({ min: 0x01, max: 0x7f }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 24 }), fc.array(fc.string({ unit: "grapheme" }), { maxLength: 4 }), (raw, texts) => {
        const bytes = Uint8Array.from([...Buffer.from(texts.join("")), ...raw]);
        const bad = findNonText(bytes);
        expect(bad === undefined).toBe(isUtf8(bytes) && !bytes.includes(0));
        if (bad !== undefined) {
          const before = bytes.subarray(0, bad.offset);
          expect(isUtf8(before) && !before.includes(0)).toBe(true);
        }
      }),
      { numRuns: runs(2000) },
    );
  });
});

describe("the editor command", () => {
  it("splits like a shell, without one", () => {
    expect(splitShellWords("code --wait")).toEqual(["code", "--wait"]);
    expect(splitShellWords(`  "/opt/My Editor/bin/ed" -w  `)).toEqual(["/opt/My Editor/bin/ed", "-w"]);
    expect(splitShellWords(`vim -c 'set tw=72' +1`)).toEqual(["vim", "-c", "set tw=72", "+1"]);
    expect(splitShellWords(`emacs\\ client "a\\"b" x'y'z`)).toEqual(["emacs client", 'a"b', "xyz"]);
    expect(splitShellWords(`ed $(rm -rf /) ; ls`)).toEqual(["ed", "$(rm", "-rf", "/)", ";", "ls"]);
    expect(splitShellWords(`'' x`)).toEqual(["", "x"]);
    expect(thrown(() => splitShellWords(`vim 'oops`)).code).toBe("EDITOR_FAILED");
    expect(thrown(() => splitShellWords(`vim "oops`)).code).toBe("EDITOR_FAILED");
  });

  it("prefers the option, then $VISUAL, then $EDITOR, then vi or nano on PATH", () => {
    const env = { VISUAL: "gvim -f", EDITOR: "nano", PATH: "/usr/bin:/bin" };
    expect(editorCommand("micro", env)).toEqual(["micro"]);
    expect(editorCommand(undefined, env)).toEqual(["gvim", "-f"]);
    expect(editorCommand(undefined, { ...env, VISUAL: "" })).toEqual(["nano"]);
    const dir = tempDir();
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "bin", "nano"), "", { mode: 0o755 });
    expect(editorCommand(undefined, { PATH: join(dir, "bin") })).toEqual([join(dir, "bin", "nano")]);
    const e = thrown(() => editorCommand(undefined, { PATH: join(dir, "empty") }));
    expect(e.code).toBe("EDITOR_FAILED");
    expect(e.hint).toContain("--body-file");
  });
});

/** Quotes a path for the sh -c scripts the tests use as editors. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function isZeros(file: string): boolean {
  const b = readFileSync(file);
  return b.length > 0 && b.every((x) => x === 0);
}

/** What is left in the test's base directory besides the files the editor script put there. */
function leftovers(base: string, own: string[]): string[] {
  return readdirSync(base).filter((n) => !own.includes(n));
}

describe("editText", () => {
  it("returns the text a real editor (sed) made, CRLF as LF", async () => {
    const base = tempDir();
    const edited = await editText("hello\r\nworld\n", { editor: `sed -i -e s/hello/bye/ -e "s/\\$/\\r/"`, tmpDir: base, env: process.env });
    expect(edited).toBe("bye\nworld\n");
    expect(readdirSync(base)).toEqual([]);
  });

  it("returns undefined when the text is left unchanged or emptied", async () => {
    const base = tempDir();
    expect(await editText("keep me\n", { editor: "true", tmpDir: base })).toBeUndefined();
    expect(await editText("drop me\n", { editor: `sh -c 'printf "  \\n\\n" > "$1"' sh`, tmpDir: base })).toBeUndefined();
    expect(readdirSync(base)).toEqual([]);
  });

  it("keeps the text in a 0600 file in a 0700 directory, and overwrites it with zeros before removing it", async () => {
    const base = tempDir();
    const editor = `sh -c 'ln "$1" ${q(base)}/orig; stat -c %a "$1" > ${q(base)}/mode; stat -c %a "$(dirname "$1")" > ${q(base)}/dirmode; printf "edited secret" > "$1"' sh`;
    expect(await editText("the secret plaintext", { editor, tmpDir: base })).toBe("edited secret");
    expect(readFileSync(join(base, "mode"), "utf8").trim()).toBe("600");
    expect(readFileSync(join(base, "dirmode"), "utf8").trim()).toBe("700");
    expect(statSync(join(base, "orig")).size).toBe("edited secret".length);
    expect(isZeros(join(base, "orig"))).toBe(true);
    expect(leftovers(base, ["orig", "mode", "dirmode"])).toEqual([]);
  });

  it("wipes the original inode of an editor that saves by rename, and the swap files beside it", async () => {
    const base = tempDir();
    const editor =
      `sh -c 'd=$(dirname "$1"); ln "$1" ${q(base)}/orig; printf swapped > "$d/.swp"; ln "$d/.swp" ${q(base)}/swp; ` +
      `printf "new text" > "$1.new"; ln "$1.new" ${q(base)}/new; mv "$1.new" "$1"' sh`;
    expect(await editText("old plaintext", { editor, tmpDir: base })).toBe("new text");
    for (const name of ["orig", "swp", "new"]) expect(isZeros(join(base, name)), name).toBe(true);
    expect(leftovers(base, ["orig", "swp", "new"])).toEqual([]);
  });

  it("wipes the file when the editor fails, is missing, or leaves binary", async () => {
    const base = tempDir();
    const failing = await rejection(editText("plain", { editor: `sh -c 'ln "$1" ${q(base)}/orig; exit 3' sh`, tmpDir: base }));
    expect([failing.code, failing.message]).toEqual(["EDITOR_FAILED", "the editor sh exited with status 3"]);
    expect(isZeros(join(base, "orig"))).toBe(true);
    const missing = await rejection(editText("plain", { editor: join(base, "no-such-editor"), tmpDir: base }));
    expect(missing.code).toBe("EDITOR_FAILED");
    expect(missing.hint).toContain("EDITOR");
    const binary = await rejection(editText("plain", { editor: `sh -c 'printf "ab\\000" > "$1"' sh`, tmpDir: base }));
    expect(binary.code).toBe("INPUT_NOT_TEXT");
    expect(leftovers(base, ["orig"])).toEqual([]);
  });

  it("prefers $XDG_RUNTIME_DIR for the private directory", async () => {
    const runtime = tempDir();
    const out = tempDir();
    const editor = `sh -c 'dirname "$1" > ${q(out)}/where; echo changed > "$1"' sh`;
    expect(await editText("x", { editor, env: { ...process.env, XDG_RUNTIME_DIR: runtime } })).toBe("changed\n");
    expect(readFileSync(join(out, "where"), "utf8")).toMatch(new RegExp(`^${runtime}/airlock-edit-`));
    expect(readdirSync(runtime)).toEqual([]);
  });
});

// The signal test runs editText in a child node process, from the compiled module.
const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..", "..");
const DIST = join(root, "offline-signer", "dist", "src", "cli", "text-input.js");

beforeAll(() => {
  const stale = ["text-input.ts", "which.ts"].some((f) => {
    const out = join(root, "offline-signer", "dist", "src", "cli", f.replace(/\.ts$/, ".js"));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(here, f)).mtimeMs;
  });
  if (stale) {
    spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", join(root, "offline-signer")], { stdio: "inherit" });
  }
});

describe("editText under a signal", () => {
  it("wipes the file, then lets SIGTERM end the process", async () => {
    const base = tempDir();
    // The editor is the vault process's direct child, so $PPID is the vault.
    const editor = `sh -c 'ln "$1" ${q(base)}/orig; kill -TERM $PPID' sh`;
    const script = `import { editText } from ${JSON.stringify(DIST)};
      await editText("plaintext under a signal", { editor: ${JSON.stringify(editor)}, tmpDir: ${JSON.stringify(base)} });
      process.stdout.write("returned");`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    expect([code, signal, out]).toEqual([null, "SIGTERM", ""]);
    expect(isZeros(join(base, "orig"))).toBe(true);
    expect(leftovers(base, ["orig"])).toEqual([]);
  });

  it("with a SIGINT listener of its own, the caller gets EDITOR_FAILED after the wipe", async () => {
    const base = tempDir();
    const editor = `sh -c 'ln "$1" ${q(base)}/orig; kill -INT $PPID' sh`;
    const script = `import { editText } from ${JSON.stringify(DIST)};
      let heard = false;
      process.on("SIGINT", () => { heard = true; });
      try { await editText("plaintext", { editor: ${JSON.stringify(editor)}, tmpDir: ${JSON.stringify(base)} }); }
      catch (e) { await new Promise((r) => setImmediate(r)); process.stdout.write(e.code + " " + heard); }`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    expect([r.status, r.stdout]).toEqual([0, "EDITOR_FAILED true"]);
    expect(isZeros(join(base, "orig"))).toBe(true);
  });
});
