/**
 * Error codes of the USB drop folder. Two kinds:
 * - entry codes describe one directory entry the reader refused or skipped; they are
 *   *reported* in the scan result, never thrown, because one bad file on a stick must not
 *   stop the good ones from being imported;
 * - the others are thrown as AirlockError when the folder itself cannot be used.
 * Scripts match on these codes, so never rename one.
 */
import { AirlockError, errnoCode } from "../errors.js";

export const USB_ENTRY_CODES = [
  "USB_TEMP_FILE",
  "USB_HIDDEN_FILE",
  "USB_BAD_NAME",
  "USB_SYMLINK",
  "USB_NOT_A_FILE",
  "USB_SPECIAL_FILE",
  "USB_TOO_SMALL",
  "USB_TOO_LARGE",
  "USB_TOTAL_LIMIT",
  "USB_CHANGED",
  "USB_VANISHED",
  "USB_UNREADABLE",
  "USB_NOT_A_BUNDLE",
] as const;

export const USB_FOLDER_CODES = [
  "USB_TOO_MANY_ENTRIES",
  "USB_NOT_FOUND",
  "USB_NOT_A_DIRECTORY",
  "USB_FOLDER_CHANGED",
  "USB_READ_FAILED",
  "USB_NO_SPACE",
  "USB_READ_ONLY",
  "USB_PERMISSION",
  "USB_WRITE_FAILED",
  "USB_NOT_ACCEPTED",
] as const;

export type UsbEntryCode = (typeof USB_ENTRY_CODES)[number];
export type UsbCode = UsbEntryCode | (typeof USB_FOLDER_CODES)[number];

const HINTS: Record<UsbCode, string> = {
  USB_TEMP_FILE: "an interrupted copy left this behind; the side that writes this folder removes it on a later run",
  USB_HIDDEN_FILE: "hidden files (often made by the operating system, like macOS '._' files) are never bundles; ignore or delete them",
  USB_BAD_NAME: "bundle files are named by Airlock (26 letters and digits + .airlock); do not rename them, export them again",
  USB_SYMLINK: "links are never followed; someone placed a link on the stick, so check where the stick has been",
  USB_NOT_A_FILE: "only plain files are read; remove folders from the Airlock folder",
  USB_SPECIAL_FILE: "device files, pipes and sockets are never read; check where the stick has been",
  USB_TOO_SMALL: "the file is too short to be a bundle; the copy was interrupted, export it again",
  USB_TOO_LARGE: "the file is larger than this reader allows; raise the limit only if you trust where it came from",
  USB_TOTAL_LIMIT: "the files together exceed this run's limit; import these, then run again to read the rest",
  USB_CHANGED: "the file changed while it was being read; wait until nothing is writing to the stick and try again",
  USB_VANISHED: "the file disappeared while the folder was being read; was the stick removed?",
  USB_UNREADABLE: "the file could not be read; the stick may be damaged or the file permissions wrong",
  USB_NOT_A_BUNDLE: "the file has a bundle's name but is not a valid bundle (damaged or truncated); export it again",
  USB_TOO_MANY_ENTRIES: "the folder holds more entries than one run reads; import these, then run again for the rest",
  USB_NOT_FOUND: "check that the stick is mounted and the path is right",
  USB_NOT_A_DIRECTORY: "something that is not a folder is in the way; move it aside so Airlock can create its folders",
  USB_FOLDER_CHANGED: "the folder was replaced while it was being read; unplug the stick, plug it in again and retry",
  USB_READ_FAILED: "the folder could not be listed; the stick may be damaged or unmounted",
  USB_NO_SPACE: "the stick is full; make room (import or delete old bundles) and try again",
  USB_READ_ONLY: "the stick is mounted read-only (or its write-protect switch is on); remount it writable",
  USB_PERMISSION: "this user may not write there; check the folder's permissions or the mount options",
  USB_WRITE_FAILED: "writing to the stick failed; the stick may be damaged or was removed, try another one",
  USB_NOT_ACCEPTED: "only a bundle returned by the reader can be removed; this is a bug in the caller",
};

/** What a non-expert should try next; the CLIs show it as `hint:` (once per code, not per file). */
export function usbHint(code: UsbCode): string {
  return HINTS[code];
}

export function usbError(code: UsbCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: HINTS[code], cause });
}

export { errnoCode };

/** Maps a failed write to the code that tells the user what to do. */
export function writeError(e: unknown, what: string): Error {
  const code = errnoCode(e);
  const detail = `${what} (${code ?? (e instanceof Error ? e.message : "error")})`;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return usbError("USB_NO_SPACE", detail, e);
    case "EROFS":
      return usbError("USB_READ_ONLY", detail, e);
    case "EACCES":
    case "EPERM":
      return usbError("USB_PERMISSION", detail, e);
    default:
      return usbError("USB_WRITE_FAILED", detail, e);
  }
}
