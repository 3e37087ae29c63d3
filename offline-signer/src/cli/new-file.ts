/** Writing a plaintext export: a new file only, readable by its owner alone, never half-written. */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from "node:fs";
import { AirlockError } from "@airlock/shared";

/**
 * Creates `path` (never over an existing file) with mode 0600 and writes `bytes`; a write that
 * fails half-way removes the file, so no partial plaintext stays behind. Throws EXPORT_FILE.
 */
export function writeNewFile(path: string, bytes: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (e) {
    throw exportFileError(path, e);
  }
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw exportFileError(path, e);
  }
  closeSync(fd);
}

function exportFileError(path: string, e: unknown): AirlockError {
  return new AirlockError("EXPORT_FILE", `cannot write ${path} (${(e as { code?: string }).code ?? "error"})`, {
    hint: "name a new file in a folder you can write; an existing file is never overwritten",
    cause: e,
  });
}
