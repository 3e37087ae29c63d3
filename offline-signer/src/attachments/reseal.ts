/**
 * Sealing a held file again for other devices, in flat memory: the stored bundle (sealed to this
 * device) is opened and its body sealed anew piece by piece into a drop folder, with fresh
 * randomness and a current mailbox tag, so two sends of one file share no byte a courier could
 * match. The plaintext never touches the disk, and the new file gets its final name only after
 * the stored one verified to its end (AEAD and signature).
 */
import { closeSync, constants, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { BundleOpener, BundleSealer, MAX_BUCKET, type KeyPair, type SealOptions } from "@airlock/bundle-format";
import { newBundleName, newTempName, syncDirectory } from "@airlock/shared";

const READ_BYTES = 4 * 1024 * 1024;
const WRITE_BYTES = 4 * 1024 * 1024;
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

export interface Resealed {
  readonly path: string;
  readonly length: number;
  /** SHA-256 of the plaintext body (the file's content address). */
  readonly bodyHash: Uint8Array;
}

export async function resealInto(
  stored: string,
  recipient: KeyPair,
  seal: SealOptions,
  dir: string,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Resealed> {
  const input = openSync(stored, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  const temp = join(dir, newTempName());
  let output: number | undefined;
  try {
    output = openSync(temp, CREATE, 0o600);
    // The body is the same on both sides: hashed once, for the old signature's check and the new one.
    const opener = new BundleOpener({ recipient, maxLength: MAX_BUCKET }, { externalBodyHash: true });
    const hash = createHash("sha256");
    let sealer: BundleSealer | undefined;
    let done = 0;
    let length = 0;
    // Sealed pieces are small (a chunk's update and its tag): gathered here, written in large writes.
    const pending = new Uint8Array(WRITE_BYTES);
    let filled = 0;
    const flush = (): void => {
      for (let at = 0; at < filled; ) at += writeSync(output!, pending, at, filled - at);
      filled = 0;
    };
    const write = (pieces: readonly Uint8Array[]): void => {
      for (const p of pieces) {
        if (filled + p.length > pending.length) flush();
        if (p.length > pending.length) for (let at = 0; at < p.length; ) at += writeSync(output!, p, at, p.length - at);
        else {
          pending.set(p, filled);
          filled += p.length;
        }
        length += p.length;
      }
    };
    for (;;) {
      if (signal?.aborted === true) throw signal.reason instanceof Error ? signal.reason : new Error("stopped");
      // A fresh buffer per read: the opener may keep a view of a partial chunk until the next push.
      const buffer = new Uint8Array(READ_BYTES);
      const n = readSync(input, buffer, 0, READ_BYTES, null);
      if (n === 0) break;
      for (const piece of opener.push(buffer.subarray(0, n))) {
        if (sealer === undefined) {
          sealer = new BundleSealer(opener.bodyLength!, seal, undefined, { externalBodyHash: true });
          write([sealer.prefix]);
        }
        hash.update(piece);
        write(sealer.push(piece));
      }
      done += n;
      onProgress?.(done, done);
      // Let a progress line, a signal or a timer run between reads.
      await new Promise((r) => setImmediate(r));
    }
    const bodyHash = new Uint8Array(hash.digest());
    opener.finish(bodyHash); // the stored copy verified to its end: only now may the new one be named
    if (sealer === undefined) throw new Error("internal: a held file's bundle carried no body");
    write(sealer.finish(bodyHash));
    flush();
    fsyncSync(output);
    closeSync(output);
    output = undefined;
    const path = join(dir, newBundleName());
    renameSync(temp, path);
    await syncDirectory(dir);
    return { path, length, bodyHash };
  } catch (e) {
    if (output !== undefined) closeSync(output);
    rmSync(temp, { force: true });
    throw e;
  } finally {
    closeSync(input);
  }
}
