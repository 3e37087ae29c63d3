/**
 * A real pseudo-terminal for end-to-end tests of terminal programs (the vault's TUI, the
 * courier's QR player), for both apps' tests: a program run in a tmux pane on a
 * private tmux server (its own socket in a temp folder, so a developer's own tmux is never
 * touched), driven with send-keys and read with capture-pane. Tests wait for what the screen
 * shows (`until`), never for a fixed time.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Debian package that provides tmux, for the skip line. */
export const TMUX_PACKAGE = "tmux";

/**
 * Whether tmux runs here. When it does not, says so in one line naming the package; a strict run
 * (AIRLOCK_REQUIRE_TOOLS=1, as .ci/run sets) fails on the skip that follows.
 */
export function haveTmux(): boolean {
  const r = spawnSync("tmux", ["-V"], { encoding: "utf8" });
  if (r.status === 0) return true;
  console.warn(`skipping the pseudo-terminal tests: tmux is not installed (Debian package: ${TMUX_PACKAGE})`);
  return false;
}

export interface TmuxOptions {
  /** The program and its arguments, run directly (no shell). */
  readonly command: readonly string[];
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
  /** Lines of history tmux keeps for the pane (what `history()` can find). */
  readonly historyLimit?: number | undefined;
}

/** How long `until` keeps polling before it fails with the last screen: only turns a hang into a readable failure. */
export const SCREEN_DEADLINE_MS = 90_000;

/** tmux key names for the keys tests press by name (send-keys without -l). */
export type TmuxKey = "Enter" | "Escape" | "Tab" | "BTab" | "Up" | "Down" | "Left" | "Right" | "PageUp" | "PageDown" | "Home" | "End" | "C-c" | "C-s" | "C-e" | "BSpace";

export class TmuxPane {
  readonly #dir: string;
  readonly #socket: string;
  readonly #statusFile: string;
  #closed = false;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = join(dir, "socket");
    this.#statusFile = join(dir, "exit-status");
  }

  /** Starts `command` in a new detached session of `columns` x `rows` (80x24 unless given). */
  static start(options: TmuxOptions): TmuxPane {
    const dir = mkdtempSync(join(tmpdir(), "airlock-tmux-"));
    const pane = new TmuxPane(dir);
    // remain-on-exit: the pane (and its history) stays after the program quits, so a test can
    // read what was left behind; a private config keeps the user's ~/.tmux.conf out of it.
    const conf = join(dir, "tmux.conf");
    writeFileSync(conf, [`set -g remain-on-exit on`, `set -g history-limit ${options.historyLimit ?? 10_000}`, `set -g status off`, `set -g default-terminal "tmux-256color"`, ""].join("\n"));
    // Without CI variables: ink (is-in-ci) draws only a last frame and ignores resizes under CI,
    // which no person's terminal sets. The private server passes this environment to the pane.
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    for (const k of Object.keys(env)) if (k === "CI" || k === "CONTINUOUS_INTEGRATION" || k.startsWith("CI_")) delete env[k];
    // The session's programs get this environment, not the server's global one, whichever started first.
    const vars = Object.entries(options.env ?? {}).flatMap(([k, v]) => (v === undefined ? [] : ["-e", `${k}=${v}`]));
    // Through sh, which writes the program's exit status to a file: tmux (3.3) under load can leave
    // the exited program unreaped, with no status to read.
    const wrapped = ["sh", "-c", `"$@"; echo $? > '${pane.#statusFile}'`, "sh", ...options.command];
    pane.#tmux(["-f", conf, "new-session", "-d", "-s", "t", "-x", String(options.columns ?? 80), "-y", String(options.rows ?? 24), ...vars, "--", ...wrapped], env);
    return pane;
  }

  #tmux(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
    const r = spawnSync("tmux", ["-S", this.#socket, ...args], { encoding: "utf8", env, timeout: 30_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** The visible screen, one line per row (trailing blanks trimmed by tmux); with `escapes`, its colours and attributes as SGR sequences. */
  screen(options: { escapes?: boolean } = {}): string {
    return this.#tmux(["capture-pane", "-p", ...(options.escapes === true ? ["-e"] : []), "-t", "t"]);
  }

  /** Everything the pane holds: its scrollback history and the visible screen. */
  history(): string {
    return this.#tmux(["capture-pane", "-p", "-S", "-", "-E", "-", "-t", "t"]);
  }

  /** Types `text` as is (each character a key; "\r" is Enter). */
  type(text: string): void {
    this.#tmux(["send-keys", "-t", "t", "-l", "--", text]);
  }

  /**
   * Pastes `text` as a terminal does: through a tmux buffer, bracketed (ESC[200~ … ESC[201~) when
   * the program asked for it with ESC[?2004h, line ends sent as carriage returns.
   */
  paste(text: string): void {
    this.#tmux(["set-buffer", "-b", "airlock-paste", "--", text]);
    this.#tmux(["paste-buffer", "-p", "-d", "-b", "airlock-paste", "-t", "t"]);
  }

  /** Presses named keys, in order. */
  press(...keys: TmuxKey[]): void {
    this.#tmux(["send-keys", "-t", "t", ...keys]);
  }

  /** Sends `signal` to the program in the pane (as a window manager or `kill` would). */
  signal(signal: "TERM" | "HUP" | "INT"): void {
    process.kill(this.#programPid(), `SIG${signal}`);
  }

  /** The program's pid: the child of the sh that runs it in the pane. */
  #programPid(): number {
    const sh = this.#tmux(["display-message", "-p", "-t", "t", "#{pane_pid}"]).trim();
    const child = spawnSync("ps", ["-o", "pid=", "--ppid", sh], { encoding: "utf8" }).stdout.trim().split(/\s+/)[0];
    if (child === undefined || child === "") throw new Error(`no program runs in the pane (sh ${sh})`);
    return Number(child);
  }

  resize(columns: number, rows: number): void {
    this.#tmux(["resize-window", "-t", "t", "-x", String(columns), "-y", String(rows)]);
  }

  /** [columns, rows] of the pane as tmux has it now. */
  size(): [number, number] {
    const [c, r] = this.#tmux(["display-message", "-p", "-t", "t", "#{pane_width} #{pane_height}"]).trim().split(" ");
    return [Number(c), Number(r)];
  }

  /** The program's exit status once it quit (128 + the signal's number when a signal ended it), undefined while it runs. */
  exitStatus(): number | undefined {
    const text = existsSync(this.#statusFile) ? readFileSync(this.#statusFile, "utf8").trim() : "";
    return text === "" ? undefined : Number(text);
  }

  /** Polls the screen until `want` is on it (or `want(screen)` holds); fails with the last screen after the deadline. */
  async until(want: string | RegExp | ((screen: string) => boolean), deadlineMs = SCREEN_DEADLINE_MS): Promise<string> {
    const test = typeof want === "function" ? want : typeof want === "string" ? (s: string) => s.includes(want) : (s: string) => want.test(s);
    const end = Date.now() + deadlineMs;
    let screen = "";
    for (;;) {
      screen = this.screen();
      if (test(screen)) return screen;
      if (Date.now() > end) throw new Error(`never saw ${String(want)} on the terminal; last screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Polls until the program quit; returns its exit status. */
  async exited(deadlineMs = SCREEN_DEADLINE_MS): Promise<number> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const status = this.exitStatus();
      if (status !== undefined) return status;
      if (Date.now() > end) {
        const pane = this.#tmux(["display-message", "-p", "-t", "t", "pane_dead=#{pane_dead} pid=#{pane_pid} status=#{pane_dead_status}"]).trim();
        const pid = /pid=(\d+)/.exec(pane)?.[1] ?? "";
        const ps = spawnSync("ps", ["-o", "pid,stat,etime,args", "--ppid", pid, "-p", pid], { encoding: "utf8" }).stdout;
        throw new Error(`the program never quit (${pane}); processes:\n${ps}\nlast screen:\n${this.screen()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the private tmux server (and the program, if it still runs) and removes its folder. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    spawnSync("tmux", ["-S", this.#socket, "kill-server"], { timeout: 30_000 });
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
