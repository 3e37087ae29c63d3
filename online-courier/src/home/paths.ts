/**
 * Where a courier keeps its state: one folder (`--home`, else AIRLOCK_COURIER_HOME, else
 * ~/.airlock-courier), mode 0700, holding the courier key (0600), teams.json (0600: it holds
 * the teams' transport keys) and the spool. Nothing in it opens a bundle.
 */
import { chmodSync, lstatSync, mkdirSync, statSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { syncDirectorySync } from "@airlock/shared";
import { courierError } from "../errors.js";
import { removeStaleTemps } from "./atomic-write.js";

export interface CourierHome {
  readonly root: string;
  readonly keyFile: string;
  readonly teamsFile: string;
  readonly spoolFile: string;
}

export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): CourierHome {
  const raw = flag ?? env["AIRLOCK_COURIER_HOME"] ?? join(homedir(), ".airlock-courier");
  const root = resolve(raw);
  return { root, keyFile: join(root, "courier.key"), teamsFile: join(root, "teams.json"), spoolFile: join(root, "spool.sqlite") };
}

/** Creates the home (0700) if it does not exist, and tightens one that does (restrictHome). */
export function createHome(home: CourierHome): void {
  mkdirDurable(home.root);
  restrictHome(home);
}

/**
 * mkdir -p (0700) whose new folders survive a power cut: the parent of each folder it made is
 * fsynced, so the files written into them next (durably, writeFileAtomic) keep their path.
 */
export function mkdirDurable(path: string): void {
  const first = mkdirSync(path, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let made = path; ; made = dirname(made)) {
    syncDirectorySync(dirname(made));
    if (made === first || dirname(made) === made) return;
  }
}

/**
 * Makes an existing home 0700 and its key and teams files 0600, whatever an older courier, a
 * restore from backup or a umask left: they hold the courier key and the teams' transport keys.
 * (The spool's files are Spool.open's.) Links are left alone, never followed. Temp files an
 * interrupted write left (removeStaleTemps: a copy of a key or of teams.json) are removed.
 */
export function restrictHome(home: CourierHome): void {
  for (const [path, mode, isKind] of [
    [home.root, 0o700, (s: Stats) => s.isDirectory()],
    [home.keyFile, 0o600, (s: Stats) => s.isFile()],
    [home.teamsFile, 0o600, (s: Stats) => s.isFile()],
  ] as const) {
    let info;
    try {
      info = lstatSync(path);
    } catch {
      continue; // not there (yet)
    }
    if (isKind(info) && (info.mode & 0o777) !== mode) chmodSync(path, mode);
  }
  removeStaleTemps(home.root);
}

/** Throws COURIER_NO_HOME unless the home folder exists; removes the temp files interrupted writes left in it. */
export function requireHome(home: CourierHome): void {
  let isDir = false;
  try {
    isDir = statSync(home.root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw courierError("COURIER_NO_HOME", `no courier home at ${home.root}`);
  removeStaleTemps(home.root);
}
