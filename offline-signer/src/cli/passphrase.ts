/**
 * Where the vault passphrase comes from, in order: --passphrase-file FILE, the environment
 * variable AIRLOCK_PASSPHRASE (for scripts; less safe: other processes of the same user may
 * read a process's environment, and shells keep history), or an interactive prompt with no
 * echo. The passphrase is kept in a Uint8Array the store wipes after deriving its key.
 */
import { closeSync, fstatSync, openSync, readSync, constants } from "node:fs";
import { AirlockError, escapeLine } from "@airlock/shared";
import { passphraseStrength, strengthMeter } from "./strength.js";

export const PASSPHRASE_ENV = "AIRLOCK_PASSPHRASE";
const MAX_PASSPHRASE_BYTES = 4096;

function fail(message: string, hint: string): never {
  throw new AirlockError("VAULT_NO_PASSPHRASE", message, { hint });
}

/** Reads a passphrase file: at most 4 KiB, one trailing newline removed. */
export function readPassphraseFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    return fail(`cannot read the passphrase file ${path} (${(e as { code?: string }).code ?? "error"})`, "check the path and its permissions");
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_PASSPHRASE_BYTES) fail(`the passphrase file ${path} is larger than ${MAX_PASSPHRASE_BYTES} bytes`, "the file must hold only the passphrase");
    const buf = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, buf, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    let end = at;
    if (end > 0 && buf[end - 1] === 0x0a) end--;
    if (end > 0 && buf[end - 1] === 0x0d) end--;
    const out = buf.slice(0, end);
    buf.fill(0);
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Prompts on the terminal without echo. Backspace edits; Ctrl-C aborts. */
export async function promptPassphrase(prompt: string): Promise<Uint8Array> {
  const stdin = process.stdin;
  if (stdin.isTTY !== true) {
    return fail("no passphrase given and no terminal to ask on", `use --passphrase-file FILE, or set ${PASSPHRASE_ENV} (less safe)`);
  }
  process.stderr.write(prompt);
  const buf = new Uint8Array(MAX_PASSPHRASE_BYTES);
  let len = 0;
  stdin.setRawMode(true);
  stdin.resume();
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        for (const byte of chunk) {
          if (byte === 0x0d || byte === 0x0a) {
            stdin.off("data", onData);
            resolve();
            return;
          }
          if (byte === 0x03) {
            stdin.off("data", onData);
            reject(new AirlockError("VAULT_NO_PASSPHRASE", "cancelled", { hint: "nothing was changed" }));
            return;
          }
          if (byte === 0x7f || byte === 0x08) len = Math.max(0, len - 1);
          else if (len < buf.length) buf[len++] = byte;
        }
        chunk.fill(0);
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
  const out = buf.slice(0, len);
  buf.fill(0);
  return out;
}

export interface PassphraseSource {
  readonly file?: string | undefined;
  /** Ask twice and compare (creating a vault or changing the passphrase). */
  readonly confirm?: boolean;
  readonly prompt?: string;
}

/** The passphrase given without asking (--passphrase-file, else AIRLOCK_PASSPHRASE), if any. */
export function givenPassphrase(file: string | undefined): Uint8Array | undefined {
  if (file !== undefined) return readPassphraseFile(file);
  const env = process.env[PASSPHRASE_ENV];
  if (env !== undefined && env.length > 0) return new Uint8Array(Buffer.from(env, "utf8"));
  return undefined;
}

/** Asks a yes/no question on the terminal (stderr), default no. */
async function askYes(question: string): Promise<boolean> {
  const answer = await promptLine(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}

/** Reads one echoed line from the terminal (at most 256 bytes). */
export async function promptLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.resume();
  try {
    return await new Promise<string>((resolve) => {
      let text = "";
      const onData = (chunk: Buffer): void => {
        text += chunk.toString("utf8");
        const nl = text.search(/[\r\n]/);
        if (nl >= 0 || text.length > 256) {
          stdin.off("data", onData);
          resolve(text.slice(0, nl >= 0 ? nl : 256));
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.pause();
  }
}

/**
 * Judges a new passphrase (decisions.md #39): a weak one gets a warning on stderr, and when a
 * person typed it at a prompt, a question; saying no (the default) changes nothing. A passphrase
 * from a file or the environment is a script's choice: warned about, never refused.
 */
export async function judgeNewPassphrase(passphrase: Uint8Array, interactive: boolean): Promise<void> {
  const strength = await passphraseStrength(passphrase);
  if (!strength.weak) return;
  process.stderr.write(`airlock: warning: weak passphrase ${escapeLine(strengthMeter(strength))}\n`);
  process.stderr.write("airlock: hint: anyone who takes this laptop can try passphrases against the vault without limit; use four or more random words\n");
  if (!interactive) return;
  if (!(await askYes("Use it anyway?"))) {
    passphrase.fill(0);
    fail("weak passphrase not used", "run the command again with a longer passphrase (four or more random words)");
  }
}

export async function getPassphrase(source: PassphraseSource): Promise<Uint8Array> {
  const given = givenPassphrase(source.file);
  if (given !== undefined) {
    if (source.confirm === true) await judgeNewPassphrase(given, false);
    return given;
  }
  const first = await promptPassphrase(source.prompt ?? "Vault passphrase: ");
  if (source.confirm === true) {
    const again = await promptPassphrase("Again, to confirm: ");
    const same = first.length === again.length && first.every((b, i) => b === again[i]);
    again.fill(0);
    if (!same) {
      first.fill(0);
      fail("the two passphrases differ", "run the command again and type the same passphrase twice");
    }
    await judgeNewPassphrase(first, true);
  }
  return first;
}

