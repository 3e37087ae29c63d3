/**
 * Inserted sticks with bundles for this vault: the folders a desktop mounts removable drives
 * under (/media/$USER/NAME, /run/media/$USER/NAME), each looked at for `airlock/inbox` (the box
 * the courier writes and the vault reads, shared/src/usb/layout.ts) holding bundle files.
 *
 * Only names are read, never a bundle: opening them is the import's work, with its own checks.
 * A stick is hostile input: links are not followed (lstat), and a folder's listing stops after
 * MAX_ENTRIES, so a stick with a million files costs no more than one with a few.
 */
import { lstat, opendir } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { AIRLOCK_FOLDER, DROP_SIDES, isBundleName } from "@airlock/shared";

/** Entries looked at per folder (mount points under a root, files in an inbox). */
export const MAX_ENTRIES = 10_000;

export interface Stick {
  /** The stick's mounted folder: what `import` is given. */
  readonly root: string;
  /** Bundle files waiting in its inbox (counted up to MAX_ENTRIES). */
  readonly bundles: number;
}

/**
 * Where removable drives are mounted: AIRLOCK_USB_ROOTS (folders separated by ":") when set, for
 * a system that mounts elsewhere (/mnt, /Volumes); the usual desktop places otherwise.
 */
export function stickRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env["AIRLOCK_USB_ROOTS"];
  if (given !== undefined) return given.split(":").filter((p) => p !== "");
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    return [];
  }
  return [join("/media", user), join("/run/media", user)];
}

async function isRealDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Up to MAX_ENTRIES names in `dir`, or none if it cannot be listed. */
async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    const d = await opendir(dir);
    for await (const entry of d) {
      out.push(entry.name);
      if (out.length >= MAX_ENTRIES) break;
    }
  } catch {
    // Unmounted while listing, no permission: nothing found there.
  }
  return out;
}

/** The sticks under `roots` whose inbox holds at least one bundle, by mount path. */
export async function findSticks(roots: readonly string[] = stickRoots()): Promise<Stick[]> {
  const found: Stick[] = [];
  for (const root of roots) {
    for (const name of (await names(root)).sort()) {
      const mount = join(root, name);
      const airlock = join(mount, AIRLOCK_FOLDER);
      const inbox = join(airlock, DROP_SIDES.vault.reads);
      // The mount point itself may be a link (the user's desktop made it); what is on the stick may not.
      if (!(await isRealDirectory(airlock)) || !(await isRealDirectory(inbox))) continue;
      const bundles = (await names(inbox)).filter(isBundleName).length;
      if (bundles > 0) found.push({ root: mount, bundles });
    }
  }
  return found;
}

/** The folders mounted under `roots` (any stick, with or without an airlock folder): where a join request can go. */
export async function mountedFolders(roots: readonly string[] = stickRoots()): Promise<string[]> {
  const found: string[] = [];
  for (const root of roots) {
    for (const name of (await names(root)).sort()) {
      const mount = join(root, name);
      if (await isRealDirectory(mount)) found.push(mount);
    }
  }
  return found;
}
