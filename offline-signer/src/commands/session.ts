/**
 * `airlock unlock` and `airlock lock`: an optional session in which commands take the vault's key
 * from a small agent process instead of deriving it from the passphrase each time (about 1 s of
 * Argon2id). Off unless started; what it protects and what it does not: docs/unlock-session.md.
 */
import { Flags } from "@oclif/core";
import { AirlockError, safe } from "@airlock/shared";
import { getPassphrase } from "../cli/passphrase.js";
import { noVaultError, resolveHome, vaultExists } from "../cli/home.js";
import { VaultStore } from "../store/index.js";
import { agentPlace, lockAgent, startAgent } from "../agent/client.js";
import { prepareDir } from "../agent/place.js";
import { runAgent } from "../agent/server.js";
import { VaultCommand } from "./base.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MIN_IDLE_MS = 100;
const MAX_IDLE_MS = 24 * 3_600_000;

/** "15m", "90s", "2h", "500ms" as milliseconds, between 100 ms and 24 h. */
export function parseIdle(text: string): number {
  const m = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  const ms = m === null ? NaN : Number(m[1]) * UNITS[m[2]!]!;
  if (!(ms >= MIN_IDLE_MS && ms <= MAX_IDLE_MS)) {
    throw new AirlockError("USAGE", `--idle ${JSON.stringify(text.slice(0, 20))} is not a duration from 100ms to 24h`, { hint: "write it like 15m, 90s, 2h or 500ms" });
  }
  return ms;
}

function minutes(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

export class Unlock extends VaultCommand {
  static override wholeVault = true;
  static override summary = "Unlock the vault for a while: commands stop asking for the passphrase until it is idle, or `airlock lock`.";
  static override description =
    "Derives the vault's key once (about 1 s) and starts a small background agent that holds it in memory only and hands it to `airlock` commands of this user over a Unix socket in a folder only you may enter (0700; the socket 0600). It ends after --idle without use (default 15m), on `airlock lock`, on SIGTERM/SIGINT, and when the passphrase changes. While it runs, any program running as you can get the key: lock before you leave the laptop, and never unlock on a shared account. See docs/unlock-session.md.";
  static override examples = ["<%= config.bin %> unlock", "<%= config.bin %> unlock --idle 5m", "<%= config.bin %> lock"];
  static override flags = {
    idle: Flags.string({ description: "end the session after this long without use (100ms to 24h, like 15m, 90s, 2h)", default: "15m" }),
    foreground: Flags.boolean({ description: "run the agent in this process instead of the background (Ctrl-C locks); for supervisors and tests", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Unlock);
    const idleMs = parseIdle(flags.idle);
    const home = resolveHome(flags.home);
    if (!vaultExists(home)) throw noVaultError(home);
    const place = agentPlace(home);
    prepareDir(place.dir);
    // A new unlock replaces a running session (with its own idle time), never runs beside it.
    const replaced = await lockAgent(home);
    const passphrase = await getPassphrase({ file: flags["passphrase-file"] });
    const kdf = this.kdf();
    const { key, salt } = await VaultStore.unlockKey(home, passphrase, kdf === undefined ? {} : { kdf });
    const text = (pid: number): string =>
      safe`Unlocked ${place.home} until ${minutes(idleMs)} without use (agent pid ${pid})${replaced ? ", replacing the session before" : ""}.` +
      `\nCommands here no longer ask for the passphrase; any program running as you could get the key meanwhile.\nEnd it with: airlock lock\n`;
    if (flags.foreground) {
      const reason = await runAgent({ home: place.home, socket: place.socket, dir: place.dir, salt, idleMs, key }, () =>
        this.emit(flags.json, { unlocked: true, pid: process.pid, socket: place.socket, idleMs, foreground: true }, text(process.pid)),
      );
      if (!flags.json) process.stderr.write(`airlock: locked (${reason})\n`);
      return;
    }
    const started = await startAgent(place, key, salt, idleMs);
    this.emit(flags.json, { unlocked: true, pid: started.pid, socket: started.socket, idleMs, foreground: false }, text(started.pid));
  }
}

export class Lock extends VaultCommand {
  static override wholeVault = true;
  static override summary = "End the unlock session of this vault: the agent wipes the key and exits.";
  static override examples = ["<%= config.bin %> lock"];

  async run(): Promise<void> {
    const { flags } = await this.parse(Lock);
    const locked = await lockAgent(resolveHome(flags.home));
    this.emit(flags.json, { locked }, locked ? "Locked: the agent wiped the key and exited.\n" : "Not unlocked: no session was running for this vault.\n");
  }
}
