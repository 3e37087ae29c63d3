/**
 * The clipboard clearer: a detached child that outlives the `airlock` command which copied a
 * secret, sleeps, and then clears the clipboard, but only if it still holds that secret (the
 * user may have copied something else since; wiping that would be rude and lose their data).
 *
 * It learns its job from a pipe on standard input, never from argv or its environment, which
 * other users can read through /proc: a SHA-256 of the secret, not the secret, plus the
 * commands that read and clear the clipboard. For OSC 52 nothing can be read back, so it writes
 * the clearing sequence to the terminal it inherited as standard output.
 *
 * Exit status: 0 cleared, 3 left alone (the clipboard changed), 1 failed.
 */
import { spawnSync } from "node:child_process";
import { createHash, timingSafeEqual } from "node:crypto";
import { realpathSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const EXIT_CLEARED = 0;
export const EXIT_FAILED = 1;
export const EXIT_CHANGED = 3;

/** The clipboard is read back and cleared by programs, if it still hashes to `sha256`. */
export interface ToolJob {
  readonly kind: "tool";
  readonly delayMs: number;
  /** hex */
  readonly sha256: string;
  /** Program (an absolute path) and arguments that print the clipboard. */
  readonly paste: readonly string[];
  /** Program and arguments that empty it. */
  readonly clear: readonly string[];
}

/** The terminal is told to empty its clipboard: `sequence` (base64) is written to standard output. */
export interface TerminalJob {
  readonly kind: "osc52";
  readonly delayMs: number;
  readonly sequence: string;
}

export type ClearJob = ToolJob | TerminalJob;

const MAX_JOB_BYTES = 64 * 1024;
/** A clipboard program that does not answer within this is taken as a failure, not waited on forever. */
const TOOL_TIMEOUT_MS = 10_000;
const MAX_PASTE_BYTES = 64 * 1024 * 1024;

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string");
}

export function parseJob(text: string): ClearJob {
  const v = JSON.parse(text) as Record<string, unknown>;
  const delayMs = v["delayMs"];
  if (typeof delayMs !== "number" || !Number.isSafeInteger(delayMs) || delayMs < 0) throw new Error("bad delayMs");
  if (v["kind"] === "tool") {
    const sha256 = v["sha256"];
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) throw new Error("bad sha256");
    if (!isStrings(v["paste"]) || !isStrings(v["clear"])) throw new Error("bad commands");
    return { kind: "tool", delayMs, sha256, paste: v["paste"], clear: v["clear"] };
  }
  if (v["kind"] === "osc52" && typeof v["sequence"] === "string") return { kind: "osc52", delayMs, sequence: v["sequence"] };
  throw new Error("bad job kind");
}

async function readJob(): Promise<ClearJob> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_JOB_BYTES) throw new Error("job too large");
    chunks.push(chunk);
  }
  return parseJob(Buffer.concat(chunks).toString("utf8"));
}

function run(argv: readonly string[], capture: boolean): { ok: boolean; stdout: Buffer } {
  const [program, ...args] = argv as [string, ...string[]];
  const r = spawnSync(program, args, { stdio: ["ignore", capture ? "pipe" : "ignore", "ignore"], timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_PASTE_BYTES });
  return { ok: r.error === undefined && r.status === 0, stdout: r.stdout ?? Buffer.alloc(0) };
}

export function clearTool(job: ToolJob): number {
  const pasted = run(job.paste, true);
  // Nothing readable (empty clipboard, another owner gone, display closed) is not our secret.
  if (!pasted.ok) return EXIT_CHANGED;
  const digest = createHash("sha256").update(pasted.stdout).digest();
  pasted.stdout.fill(0);
  if (!timingSafeEqual(digest, Buffer.from(job.sha256, "hex"))) return EXIT_CHANGED;
  return run(job.clear, false).ok ? EXIT_CLEARED : EXIT_FAILED;
}

export function clearTerminal(job: TerminalJob): number {
  try {
    writeSync(1, Buffer.from(job.sequence, "base64"));
    return EXIT_CLEARED;
  } catch {
    // The terminal was closed: its clipboard went with it, or is out of our reach.
    return EXIT_FAILED;
  }
}

async function main(): Promise<void> {
  let job: ClearJob;
  try {
    job = await readJob();
  } catch {
    process.exitCode = EXIT_FAILED;
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, job.delayMs));
  process.exitCode = job.kind === "tool" ? clearTool(job) : clearTerminal(job);
}

// Run only as the child, not when clipboard.ts imports the constants and types above.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) await main();
