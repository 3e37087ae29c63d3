/**
 * Starts the TUI on the real terminal and resolves when it quits. It draws on the terminal's
 * alternate screen and, however it ends (q, Ctrl-C, SIGTERM or SIGHUP, a crash), clears that
 * screen and its scrollback before leaving it, so no decrypted text stays on the screen the
 * shell comes back to or in its history.
 */
// First: React chooses its build when it is loaded.
import "./production.js";
import { writeSync } from "node:fs";
import { constants } from "node:os";
import { render } from "ink";
import { describeError } from "@airlock/shared";
import { givenPassphrase } from "../cli/passphrase.js";
import { requestedKdf, resolveHome } from "../cli/home.js";
import { App } from "./App.js";
import { DEFAULT_LOCK_AFTER_MS, parseLockAfter } from "./idle.js";
import { ENTER_SCREEN, LEAVE_SCREEN } from "./terminal.js";

export interface TuiOptions {
  readonly home?: string | undefined;
  readonly passphraseFile?: string | undefined;
  /** --lock-after: "10m", "90s", "1h"; "0" never locks. Ten minutes when absent. */
  readonly lockAfter?: string | undefined;
}

// In terminal.ts, which the form's $EDITOR key uses too (it leaves the screen while the editor runs).
export { ENTER_SCREEN, LEAVE_SCREEN } from "./terminal.js";
/** Everything drawn so far wiped, before a redraw at a new size (ink alone leaves pieces of taller frames). */
const CLEAR = "\x1b[H\x1b[2J\x1b[3J";

export async function runTui(options: TuiOptions): Promise<void> {
  // Parsed first: a bad flag is a usage error on the normal screen, before anything is drawn.
  const lockAfterMs = options.lockAfter === undefined ? DEFAULT_LOCK_AFTER_MS : parseLockAfter(options.lockAfter);
  const passphrase = givenPassphrase(options.passphraseFile);
  const fd = process.stdout.fd;
  let left = false;
  // Synchronous writes: this also runs from the 'exit' event, where nothing asynchronous completes.
  const leave = (): void => {
    if (left) return;
    left = true;
    try {
      writeSync(fd, LEAVE_SCREEN);
    } catch {
      // The terminal is gone (SIGHUP): there is no screen left to clean.
    }
  };
  const resized = (): void => {
    if (!left) writeSync(fd, CLEAR);
  };
  writeSync(fd, ENTER_SCREEN);
  process.on("exit", leave);
  // Before ink's own resize listener, so the frame ink draws at the new size lands on a clean screen.
  process.stdout.on("resize", resized);
  const instance = render(<App home={resolveHome(options.home)} kdf={requestedKdf()} passphrase={passphrase} lockAfterMs={lockAfterMs} />, { exitOnCtrlC: true });

  // Unmounting runs the App's cleanup, which closes the vault; then the screen is wiped.
  const stop = (status: number): void => {
    try {
      instance.unmount();
    } finally {
      leave();
      process.exit(status);
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => stop(128 + (constants.signals[signal] ?? 0));
  const onCrash = (e: unknown): void => {
    try {
      instance.unmount();
    } catch {
      // Already failing: the screen still has to be wiped below.
    }
    leave();
    // The error's own line and hint, never a stack of what was on screen.
    const r = describeError(e);
    process.stderr.write(`airlock: error: ${r.message.split("\n")[0] ?? ""}\n${r.hint === undefined ? "" : `airlock: hint: ${r.hint}\n`}`);
    process.exit(1);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  try {
    await instance.waitUntilExit();
  } finally {
    leave();
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    process.off("exit", leave);
    process.stdout.off("resize", resized);
    passphrase?.fill(0);
  }
}
