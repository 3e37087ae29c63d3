/**
 * Puts a secret on the clipboard and arranges for it to be cleared, so a password can be pasted
 * without ever being printed. Where the clipboard is:
 *   Wayland (WAYLAND_DISPLAY)  wl-copy, read back with wl-paste
 *   X11 (DISPLAY)              xclip, else xsel
 *   a terminal                 OSC 52, an escape sequence asking the terminal emulator to set its
 *                              host's clipboard (works over ssh; inside tmux/screen it is wrapped
 *                              in their passthrough)
 * The secret reaches a clipboard program through a pipe, never its argv or environment, which any
 * local user can read through /proc. A detached child (clipboard-clear.ts) clears it later, only
 * if the clipboard still holds the same value.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, constants, existsSync, openSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AirlockError, errnoCode } from "@airlock/shared";
import { EXIT_CHANGED, EXIT_CLEARED, type ClearJob } from "./clipboard-clear.js";
import { findOnPath } from "./which.js";

export type ClipboardMethod = "wl-copy" | "xclip" | "xsel" | "osc52";
/** What the clearer did: cleared the secret, left the clipboard alone because it changed, or failed. */
export type ClearOutcome = "cleared" | "changed" | "failed";
/** How an OSC 52 sequence must be wrapped to pass through a terminal multiplexer. */
export type TerminalWrap = "none" | "tmux" | "screen";

export interface CopyResult {
  readonly method: ClipboardMethod;
  readonly clearsAt: Date;
  /**
   * Settles when the clearer exits, if this process still runs then (it does not keep the
   * process alive: a command may exit long before the clear).
   */
  readonly cleared: Promise<ClearOutcome>;
}

/** A stream that may be a terminal: process.stdout, a tty.WriteStream. */
export type MaybeTerminal = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly fd?: number };

export interface CopyOptions {
  /** Default 30 s. */
  readonly clearAfterMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Used for OSC 52 when /dev/tty cannot be opened (no controlling terminal) and it is a terminal; default process.stdout. */
  readonly stdout?: MaybeTerminal;
}

export const DEFAULT_CLEAR_AFTER_MS = 30_000;
const MAX_CLEAR_AFTER_MS = 24 * 60 * 60 * 1000;
/** A clipboard program that has not taken the text by then is stuck (an unresponsive display). */
const COPY_TIMEOUT_MS = 10_000;
/** GNU screen drops DCS strings longer than 768 bytes; vim-oscyank and others cut at 76. */
const SCREEN_CHUNK = 76;
const CLEARER = fileURLToPath(new URL("./clipboard-clear.js", import.meta.url));

interface Tool {
  readonly method: Exclude<ClipboardMethod, "osc52">;
  readonly copy: readonly string[];
  readonly paste: readonly string[];
  readonly clear: readonly string[];
}

// Program names first; resolved on PATH before use so the clearer runs the very same programs.
const TOOLS: Record<Tool["method"], Tool> = {
  // An explicit type spares wl-copy guessing it with xdg-mime over a copy of the text.
  "wl-copy": { method: "wl-copy", copy: ["wl-copy", "--type", "text/plain;charset=utf-8"], paste: ["wl-paste", "--no-newline"], clear: ["wl-copy", "--clear"] },
  xclip: { method: "xclip", copy: ["xclip", "-selection", "clipboard"], paste: ["xclip", "-selection", "clipboard", "-o"], clear: ["xclip", "-selection", "clipboard", "-i", "/dev/null"] },
  xsel: { method: "xsel", copy: ["xsel", "--clipboard", "--input"], paste: ["xsel", "--clipboard", "--output"], clear: ["xsel", "--clipboard", "--clear"] },
};

/**
 * Copies `text` to the clipboard and starts the clearer. Throws CLIPBOARD_UNAVAILABLE when there
 * is no display with a clipboard program and no terminal to send OSC 52 to.
 */
export async function copySecret(text: string, options: CopyOptions = {}): Promise<CopyResult> {
  const clearAfterMs = options.clearAfterMs ?? DEFAULT_CLEAR_AFTER_MS;
  if (!Number.isSafeInteger(clearAfterMs) || clearAfterMs < 0 || clearAfterMs > MAX_CLEAR_AFTER_MS) {
    throw new RangeError(`"clearAfterMs" expected an integer from 0 to ${MAX_CLEAR_AFTER_MS}, got ${clearAfterMs}`);
  }
  const env = options.env ?? process.env;
  if (!existsSync(CLEARER)) {
    // Only when running from the TypeScript sources: copying without the clear would break the promise.
    throw unavailable(`the clipboard clearer ${CLEARER} is missing`, "build the project (npm run build)");
  }
  const tried: string[] = [];
  for (const tool of toolsFor(env, tried)) {
    const bytes = Buffer.from(text, "utf8");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    try {
      await runCopy(tool.copy, bytes, env);
    } catch (e) {
      tried.push(`${tool.method}: ${(e as Error).message}`);
      continue;
    }
    const child = startClearer({ kind: "tool", delayMs: clearAfterMs, sha256, paste: tool.paste, clear: tool.clear }, env, "ignore");
    return { method: tool.method, clearsAt: new Date(Date.now() + clearAfterMs), cleared: outcomeOf(child) };
  }
  const terminal = openTerminal(options.stdout ?? process.stdout);
  if (terminal === undefined) {
    tried.push("osc52: no terminal (/dev/tty cannot be opened and standard output is not a terminal)");
    throw unavailable(`no way to reach a clipboard (${tried.join("; ")})`, "use --reveal to print the value on a screen you trust, or run in a desktop session or a terminal");
  }
  try {
    const wrap = terminalWrap(env);
    writeAll(terminal.fd, osc52Sequence(text, wrap));
    const child = startClearer({ kind: "osc52", delayMs: clearAfterMs, sequence: osc52Sequence("", wrap).toString("base64") }, env, terminal.fd);
    return { method: "osc52", clearsAt: new Date(Date.now() + clearAfterMs), cleared: outcomeOf(child) };
  } finally {
    if (terminal.owned) closeSync(terminal.fd);
  }
}

function unavailable(message: string, hint: string): AirlockError {
  return new AirlockError("CLIPBOARD_UNAVAILABLE", message, { hint });
}

/** The clipboard programs worth trying here, resolved to absolute paths. */
function toolsFor(env: NodeJS.ProcessEnv, tried: string[]): Tool[] {
  const wanted: Tool["method"][] = [];
  if (nonEmpty(env["WAYLAND_DISPLAY"])) wanted.push("wl-copy");
  if (nonEmpty(env["DISPLAY"])) wanted.push("xclip", "xsel");
  const out: Tool[] = [];
  for (const method of wanted) {
    const tool = TOOLS[method];
    const resolve = (argv: readonly string[]): string[] | undefined => {
      const path = findOnPath(argv[0]!, env);
      return path === undefined ? undefined : [path, ...argv.slice(1)];
    };
    const copy = resolve(tool.copy);
    const paste = resolve(tool.paste);
    const clear = resolve(tool.clear);
    if (copy === undefined || paste === undefined || clear === undefined) {
      tried.push(`${method}: not installed`);
      continue;
    }
    out.push({ method, copy, paste, clear });
  }
  return out;
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v !== "";
}

/**
 * Runs a clipboard program with the text on its standard input. These programs fork a child
 * that serves the selection and keeps our stderr pipe open, so success is the exit of the one we
 * started, and only a failure waits for its full error message.
 */
function runCopy(argv: readonly string[], bytes: Buffer, env: NodeJS.ProcessEnv): Promise<void> {
  const [program, ...args] = argv as [string, ...string[]];
  return new Promise<void>((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["pipe", "ignore", "pipe"], env });
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), COPY_TIMEOUT_MS);
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString("utf8");
    });
    child.stdin.on("error", () => {
      // EPIPE when the program died before reading; its exit status says why.
    });
    child.stdin.end(bytes, () => bytes.fill(0));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(errnoCode(e) ?? e.message));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return;
      child.stderr.destroy();
      resolve();
    });
    // After "exit", once its stderr is drained too: the whole error message.
    child.on("close", (code, signal) => {
      if (code === 0) return;
      const why = stderr.trim().split("\n")[0] ?? "";
      reject(new Error(`${signal === null ? `exit status ${code}` : `killed by ${signal}`}${why === "" ? "" : ` (${why})`}`));
    });
  });
}

/** The controlling terminal, else `stdout` when it is one. */
function openTerminal(stdout: MaybeTerminal | undefined): { fd: number; owned: boolean } | undefined {
  try {
    return { fd: openSync("/dev/tty", constants.O_WRONLY | constants.O_NOCTTY), owned: true };
  } catch {
    // ENXIO: no controlling terminal (a service, setsid, a CI runner).
  }
  if (stdout?.isTTY === true && typeof stdout.fd === "number") return { fd: stdout.fd, owned: false };
  return undefined;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** tmux first: inside tmux TERM says "screen" too. */
export function terminalWrap(env: NodeJS.ProcessEnv): TerminalWrap {
  if (nonEmpty(env["TMUX"])) return "tmux";
  if (nonEmpty(env["STY"]) || (env["TERM"] ?? "").startsWith("screen")) return "screen";
  return "none";
}

/**
 * OSC 52 "set the clipboard (c) to this base64": ESC ] 52 ; c ; DATA BEL. An empty DATA clears
 * it (xterm's ctlseqs: anything that is neither base64 nor "?" clears the selection). tmux
 * passes a DCS "tmux;" string through with ESC doubled (tmux 3.3+ needs `allow-passthrough
 * on`); screen passes DCS strings through, cut short to fit its buffer.
 */
export function osc52Sequence(text: string, wrap: TerminalWrap): Buffer {
  const osc = `\x1b]52;c;${Buffer.from(text, "utf8").toString("base64")}\x07`;
  if (wrap === "tmux") return Buffer.from(`\x1bPtmux;${osc.replaceAll("\x1b", "\x1b\x1b")}\x1b\\`, "latin1");
  if (wrap === "screen") {
    let out = "";
    for (let i = 0; i < osc.length; i += SCREEN_CHUNK) out += `\x1bP${osc.slice(i, i + SCREEN_CHUNK)}\x1b\\`;
    return Buffer.from(out, "latin1");
  }
  return Buffer.from(osc, "latin1");
}

/**
 * Starts the clearer detached (its own session, so closing the terminal or ending this command
 * does not stop it) and hands it its job through a pipe.
 */
function startClearer(job: ClearJob, env: NodeJS.ProcessEnv, stdout: number | "ignore"): ChildProcess {
  const child = spawn(process.execPath, [CLEARER], { detached: true, stdio: ["pipe", stdout, "ignore"], env });
  child.stdin!.on("error", () => {
    // The clearer died before reading its job; its exit reports the failure.
  });
  child.stdin!.end(JSON.stringify(job));
  child.unref();
  return child;
}

function outcomeOf(child: ChildProcess): Promise<ClearOutcome> {
  return new Promise((resolve) => {
    child.once("error", () => resolve("failed"));
    child.once("exit", (code) => resolve(code === EXIT_CLEARED ? "cleared" : code === EXIT_CHANGED ? "changed" : "failed"));
  });
}
