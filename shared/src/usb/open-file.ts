/**
 * Opening and reading one entry of a hostile folder. The listing's file types are only a
 * first filter: between listing and opening, an entry can be swapped for a link or a pipe.
 * So the open itself refuses links (O_NOFOLLOW) and cannot block on a pipe (O_NONBLOCK),
 * and the type and size that count are the ones of the opened descriptor (fstat), which no
 * later rename can change. Failures are returned as values: one bad entry must never stop a scan.
 */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { errnoCode, type UsbEntryCode } from "./errors.js";

export interface Refusal {
  readonly code: UsbEntryCode;
  readonly reason: string;
}

export interface OpenedFile {
  readonly handle: FileHandle;
  readonly size: number;
  /** What removal compares to check the name still refers to the file that was read. */
  readonly identity: FileIdentity;
}

/**
 * Device and inode alone are not enough: file systems reuse a freed inode number at once
 * (ext4 does), so a replacement written under the same name often gets the same one. Size
 * and timestamps tell them apart, except a same-size rewrite within one timestamp tick.
 */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

export const identityOf = (s: FileIdentity): FileIdentity => ({ dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs });

export const sameIdentity = (a: FileIdentity, b: FileIdentity): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

// O_NOCTTY: opening a terminal device must never make it our controlling terminal.
// The constants are missing on Windows, where links and devices work differently anyway.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export const refusal = (code: UsbEntryCode, reason: string): Refusal => ({ code, reason });

/** Opens `path` for reading only if it is, on the descriptor, a regular file. */
export async function openRegularFile(path: string): Promise<OpenedFile | Refusal> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (e) {
    return openFailure(e);
  }
  try {
    const stats = await handle.stat({ bigint: true });
    if (stats.isFile()) return { handle, size: Number(stats.size), identity: identityOf(stats) };
    await handle.close();
    if (stats.isDirectory()) return refusal("USB_NOT_A_FILE", "folder (only plain files are read)");
    return refusal("USB_SPECIAL_FILE", `${typeName(stats)} (only plain files are read)`);
  } catch (e) {
    await handle.close().catch(() => undefined);
    return refusal("USB_UNREADABLE", `cannot examine the opened file (${errnoCode(e) ?? "error"})`);
  }
}

function openFailure(e: unknown): Refusal {
  const code = errnoCode(e);
  switch (code) {
    case "ELOOP": // Linux and macOS report an O_NOFOLLOW hit on a link this way
    case "EMLINK": // ... and FreeBSD this way
      return refusal("USB_SYMLINK", "symbolic link (links are never followed)");
    case "ENOENT":
      return refusal("USB_VANISHED", "disappeared before it could be opened");
    case "ENXIO": // a socket, or a device with no driver behind it
    case "ENODEV":
      return refusal("USB_SPECIAL_FILE", "socket or device (only plain files are read)");
    default:
      return refusal("USB_UNREADABLE", `cannot be opened (${code ?? "error"})`);
  }
}

function typeName(stats: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stats.isFIFO()) return "named pipe";
  if (stats.isSocket()) return "socket";
  if (stats.isCharacterDevice()) return "character device";
  if (stats.isBlockDevice()) return "block device";
  return "special file";
}

/**
 * Reads exactly `size` bytes (the fstat size, already checked against the limits) into one
 * buffer allocated up front, then checks nothing follows. A file that shrinks or grows while
 * we read is refused rather than half-read or read past the size we agreed to allocate.
 */
export async function readExactly(handle: FileHandle, size: number): Promise<Uint8Array | Refusal> {
  // Zero-filled and unpooled: the caller owns the whole ArrayBuffer, which holds nothing else.
  const bytes = new Uint8Array(size);
  let filled = 0;
  try {
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) {
        return refusal("USB_CHANGED", `shrank to ${filled} bytes while being read (it was ${size} bytes when opened)`);
      }
      filled += bytesRead;
    }
    const { bytesRead } = await handle.read(new Uint8Array(1), 0, 1, size);
    if (bytesRead > 0) return refusal("USB_CHANGED", `grew while being read (it was ${size} bytes when opened)`);
  } catch (e) {
    return refusal("USB_UNREADABLE", `read failed after ${filled} bytes (${errnoCode(e) ?? "error"})`);
  }
  return bytes;
}

export const isRefusal = <T extends object>(v: T | Refusal): v is Refusal => "code" in v;
