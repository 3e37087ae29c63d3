/** Opening a file to read in full, and reading it block by block into reused memory. */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { fileError, readError } from "./errors.js";

export interface InputFile {
  readonly handle: FileHandle;
  readonly size: number;
}

// A link is never followed and a pipe cannot block the open: a file on a stick may have been
// swapped for either between the scan that named it and this open (usb/open-file.ts does the same).
const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Opens `path` for reading; only a regular file is accepted (not a link, folder, device or pipe). */
export async function openInput(path: string): Promise<InputFile> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, FLAGS);
    const stat = await handle.stat();
    if (!stat.isFile()) throw fileError("FILE_NOT_REGULAR", `${path} is not a regular file`);
    return { handle, size: stat.size };
  } catch (e) {
    await handle?.close().catch(() => undefined);
    throw readError(e, path);
  }
}

/**
 * Reads `into.length` bytes at `position`, or fewer only where the file ends. Returns the
 * count read.
 */
export async function readFully(input: InputFile, into: Uint8Array, position: number, path: string): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await input.handle.read(into, filled, into.length - filled, position + filled));
    } catch (e) {
      throw readError(e, path);
    }
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
