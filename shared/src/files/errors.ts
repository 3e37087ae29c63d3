/**
 * Error codes of file-to-file sealing and opening (seal-file.ts, open-file.ts). A bundle that
 * is not acceptable is a BundleError (BUNDLE_*) as everywhere else; these codes are about the
 * files and the run: a missing input, a full disk, an input that changed, an abort.
 * Scripts match on these codes, so never rename one.
 */
import { AirlockError, errnoCode } from "../errors.js";

export const FILE_ERROR_CODES = [
  "FILE_NOT_FOUND",
  "FILE_NOT_REGULAR",
  "FILE_PERMISSION",
  "FILE_READ_FAILED",
  "FILE_CHANGED",
  "FILE_TOO_LARGE",
  "FILE_NO_SPACE",
  "FILE_READ_ONLY",
  "FILE_WRITE_FAILED",
  "FILE_ABORTED",
] as const;

export type FileErrorCode = (typeof FILE_ERROR_CODES)[number];

const HINTS: Record<FileErrorCode, string> = {
  FILE_NOT_FOUND: "check the path: the file or its folder does not exist",
  FILE_NOT_REGULAR: "only plain files can be sealed or opened; not folders, devices or pipes",
  FILE_PERMISSION: "this user may not read or write there; check the file's and the folder's permissions",
  FILE_READ_FAILED: "the file could not be read; the disk or stick may be damaged or was removed",
  FILE_CHANGED: "the file changed while it was being read; wait until nothing writes to it and try again",
  FILE_TOO_LARGE: "the file is larger than a bundle can carry; split it or send it another way",
  FILE_NO_SPACE: "the disk is full; make room and try again",
  FILE_READ_ONLY: "the folder is on a read-only disk (or a stick with its write-protect switch on); choose another folder",
  FILE_WRITE_FAILED: "writing the file failed; the disk or stick may be damaged or was removed",
  FILE_ABORTED: "the operation was cancelled; nothing was written",
};

export function fileError(code: FileErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: HINTS[code], cause });
}

/** Maps a failed read of `path` (opening it included) to the code that tells the user what to do. */
export function readError(e: unknown, path: string): Error {
  const code = errnoCode(e);
  if (code === undefined) return e instanceof Error ? e : new Error(String(e));
  const detail = `cannot read ${path} (${code})`;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return fileError("FILE_NOT_FOUND", detail, e);
    case "EISDIR":
    case "ELOOP": // a link, which openInput never follows
      return fileError("FILE_NOT_REGULAR", detail, e);
    case "EACCES":
    case "EPERM":
      return fileError("FILE_PERMISSION", detail, e);
    default:
      return fileError("FILE_READ_FAILED", detail, e);
  }
}

/** Maps a failed write of `path` (creating, syncing or renaming it included). */
export function writeError(e: unknown, path: string): Error {
  const code = errnoCode(e);
  if (code === undefined) return e instanceof Error ? e : new Error(String(e));
  const detail = `cannot write ${path} (${code})`;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return fileError("FILE_NOT_FOUND", detail, e);
    case "ENOSPC":
    case "EDQUOT":
      return fileError("FILE_NO_SPACE", detail, e);
    case "EROFS":
      return fileError("FILE_READ_ONLY", detail, e);
    case "EACCES":
    case "EPERM":
      return fileError("FILE_PERMISSION", detail, e);
    case "EISDIR":
      return fileError("FILE_NOT_REGULAR", detail, e);
    default:
      return fileError("FILE_WRITE_FAILED", detail, e);
  }
}

/** Throws FILE_ABORTED if `signal` fired; its reason is kept as the cause. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw fileError("FILE_ABORTED", "cancelled before it finished", signal.reason);
}
