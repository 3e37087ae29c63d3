/**
 * Where a courier keeps its state: one folder (`--home`, else AIRLOCK_COURIER_HOME, else
 * ~/.airlock-courier), mode 0700, holding the courier key (0600), teams.json (0600: it holds
 * the teams' transport keys) and the spool. Nothing in it opens a bundle.
 */
import { mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { courierError } from "../errors.js";

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

/** Creates the home (0700) if it does not exist. */
export function createHome(home: CourierHome): void {
  mkdirSync(home.root, { recursive: true, mode: 0o700 });
}

/** Throws COURIER_NO_HOME unless the home folder exists. */
export function requireHome(home: CourierHome): void {
  let isDir = false;
  try {
    isDir = statSync(home.root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw courierError("COURIER_NO_HOME", `no courier home at ${home.root}`);
}
