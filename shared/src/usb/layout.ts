/**
 * The drop-folder layout on a mounted stick (or any directory):
 *
 *   <root>/airlock/inbox/    towards the vault: the courier writes, the vault reads
 *   <root>/airlock/outbox/   away from the vault: the vault writes, the courier reads
 *
 * Directions are named from the vault's point of view (docs/usb-drop-folder.md). Each side
 * reads only the box the other side writes, so neither ever reads back its own output.
 */
import type { BigIntStats } from "node:fs";
import { lstat, mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { errnoCode, usbError, writeError } from "./errors.js";

export const AIRLOCK_FOLDER = "airlock";
export type DropBox = "inbox" | "outbox";
export const DROP_BOXES: readonly DropBox[] = ["inbox", "outbox"];

/** Which box each side writes and reads. */
export const DROP_SIDES = {
  vault: { writes: "outbox", reads: "inbox" },
  courier: { writes: "inbox", reads: "outbox" },
} as const satisfies Record<string, { writes: DropBox; reads: DropBox }>;

export interface DropFolder {
  /** The mounted folder the user named (a stick's root, or any directory). */
  readonly root: string;
  readonly airlock: string;
  readonly inbox: string;
  readonly outbox: string;
}

export interface PrepareOptions {
  /** Create missing folders (default true). False only checks, e.g. on a read-only mount. */
  readonly create?: boolean;
}

/**
 * Checks (and by default creates) `airlock/`, `airlock/inbox/` and `airlock/outbox/` under
 * `root`. Throws USB_SYMLINK if any of them is a link and USB_NOT_A_DIRECTORY if any is
 * something else: a link could point the vault's reads and writes anywhere on its disk.
 * `root` itself may be a link (e.g. a desktop's mount path): the user chose it.
 */
export async function prepareDropFolder(root: string, options: PrepareOptions = {}): Promise<DropFolder> {
  const create = options.create ?? true;
  const absolute = resolve(root);
  let rootStats;
  try {
    rootStats = await stat(absolute);
  } catch (e) {
    throw usbError("USB_NOT_FOUND", `${absolute} cannot be opened (${errnoCode(e) ?? "error"})`, e);
  }
  if (!rootStats.isDirectory()) throw usbError("USB_NOT_A_DIRECTORY", `${absolute} is not a folder`);
  const folder: DropFolder = {
    root: absolute,
    airlock: join(absolute, AIRLOCK_FOLDER),
    inbox: join(absolute, AIRLOCK_FOLDER, "inbox"),
    outbox: join(absolute, AIRLOCK_FOLDER, "outbox"),
  };
  for (const path of [folder.airlock, folder.inbox, folder.outbox]) {
    if (create) await makeDirectory(path);
    await checkRealDirectory(path);
  }
  return folder;
}

async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (e) {
    if (errnoCode(e) === "EEXIST") return; // checked right after, whatever it is
    throw writeError(e, `cannot create ${path}`);
  }
}

/**
 * Throws unless `path` itself (not what a link points to) is a directory. Returns its
 * identity so a long operation can notice the folder being swapped underneath it.
 */
export async function checkRealDirectory(path: string): Promise<BigIntStats> {
  let stats: BigIntStats;
  try {
    stats = await lstat(path, { bigint: true });
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT" || code === "ENOTDIR") throw usbError("USB_NOT_FOUND", `${path} does not exist`, e);
    throw usbError("USB_READ_FAILED", `${path} cannot be examined (${code ?? "error"})`, e);
  }
  if (stats.isSymbolicLink()) throw usbError("USB_SYMLINK", `${path} is a symbolic link; Airlock only uses real folders`);
  if (!stats.isDirectory()) throw usbError("USB_NOT_A_DIRECTORY", `${path} is not a folder`);
  return stats;
}

/** Throws USB_FOLDER_CHANGED if `path` is no longer the directory first examined. */
export async function checkSameDirectory(path: string, before: BigIntStats): Promise<void> {
  const now = await checkRealDirectory(path).catch((e: unknown) => {
    throw usbError("USB_FOLDER_CHANGED", `${path} was removed or replaced during the operation`, e);
  });
  if (now.dev !== before.dev || now.ino !== before.ino) {
    throw usbError("USB_FOLDER_CHANGED", `${path} was replaced by another folder during the operation`);
  }
}
