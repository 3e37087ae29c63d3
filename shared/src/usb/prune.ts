/**
 * Taking a writer's own earlier bundles off a stick once their recipients have them
 * (`airlock export` cleans its outbox). A bundle is named by random letters and sealed to others,
 * so the writer cannot recognise its own files by name or content: it remembers, for each file it
 * wrote, the name, the size and a fingerprint of its first bytes (which hold the bundle's fresh
 * ephemeral key, so no other bundle shares them), and removes a file only while all three still
 * match. Anything else in the box — another writer's bundle, a file put in its place, a link — is
 * left alone.
 */
import { createHash } from "node:crypto";
import { lstat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { FileHandle } from "node:fs/promises";
import { errnoCode, usbError, writeError } from "./errors.js";
import { checkRealDirectory } from "./layout.js";
import { isBundleName } from "./names.js";
import { identityOf, isRefusal, openRegularFile, sameIdentity } from "./open-file.js";

/** Bytes a fingerprint covers: the header, the recipient slots and the start of the payload. */
export const FINGERPRINT_BYTES = 64 * 1024;

/** What a writer remembers of a bundle file it wrote, to recognise it later. */
export interface OwnBundle {
  readonly name: string;
  readonly size: number;
  /** SHA-256 (hex) of the first FINGERPRINT_BYTES bytes (all of a smaller file). */
  readonly fingerprint: string;
}

export function fingerprintBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes.subarray(0, FINGERPRINT_BYTES)).digest("hex");
}

/** Reads back a bundle file just written (no link followed) and says how to recognise it. */
export async function fingerprintFile(path: string): Promise<{ size: number; fingerprint: string }> {
  const opened = await openRegularFile(path);
  if (isRefusal(opened)) throw usbError("USB_READ_FAILED", `cannot read back ${path}: ${opened.reason}`);
  try {
    const head = await readHead(opened.handle, Math.min(opened.size, FINGERPRINT_BYTES));
    if (head === undefined) throw usbError("USB_READ_FAILED", `cannot read back ${path}: it changed while being read`);
    return { size: opened.size, fingerprint: fingerprintBytes(head) };
  } finally {
    await opened.handle.close().catch(() => undefined);
  }
}

export interface PruneResult {
  /** Names removed. */
  readonly removed: string[];
  /** Names not in the box any more (taken by someone, or never on this stick). */
  readonly missing: string[];
  /** Names now holding something else; left in place. */
  readonly changed: string[];
}

/** Removes from `box` each of `own` that is still the very file written (name, size, fingerprint). */
export async function removeOwnBundles(box: string, own: readonly OwnBundle[]): Promise<PruneResult> {
  const result: PruneResult = { removed: [], missing: [], changed: [] };
  if (own.length === 0) return result;
  await checkRealDirectory(box);
  for (const b of own) {
    if (!isBundleName(b.name)) {
      result.changed.push(b.name);
      continue;
    }
    const path = join(box, b.name);
    const opened = await openRegularFile(path);
    if (isRefusal(opened)) {
      (opened.code === "USB_VANISHED" ? result.missing : result.changed).push(b.name);
      continue;
    }
    let same = false;
    try {
      if (opened.size === b.size) {
        const head = await readHead(opened.handle, Math.min(opened.size, FINGERPRINT_BYTES));
        same = head !== undefined && fingerprintBytes(head) === b.fingerprint;
      }
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
    if (!same) {
      result.changed.push(b.name);
      continue;
    }
    // Still the file just read (not swapped for another since): unlink never follows a link.
    try {
      const now = await lstat(path, { bigint: true });
      if (!now.isFile() || !sameIdentity(identityOf(now), opened.identity)) {
        result.changed.push(b.name);
        continue;
      }
      await unlink(path);
      result.removed.push(b.name);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") result.missing.push(b.name);
      else throw writeError(e, `cannot remove ${path}`);
    }
  }
  return result;
}

/** The first `length` bytes, or undefined if the file is shorter now or cannot be read. */
async function readHead(handle: FileHandle, length: number): Promise<Uint8Array | undefined> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  try {
    while (filled < length) {
      const { bytesRead } = await handle.read(bytes, filled, length - filled, filled);
      if (bytesRead === 0) return undefined;
      filled += bytesRead;
    }
  } catch {
    return undefined;
  }
  return bytes;
}
