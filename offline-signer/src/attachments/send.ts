/**
 * Which held files go out with an export, and writing them (docs/attachments.md). A file goes
 * to the active devices that may read a collection whose records name it, unless the device is
 * known to hold it (it sent it, or this vault sent it before) — or it asked for it again in its
 * newest sync bundle (`wants`), which is how a lost stick or a QR-only exchange catches up.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fragmentLengthFor, fromHex, isBundleError, loopLength, PRESETS, sealedLength, toHex, type SealOptions } from "@airlock/bundle-format";
import { formatBytes, writeBundleQrFolder } from "@airlock/shared";
import { isReader, type DeviceState } from "../team/state.js";
import { vaultError } from "../vault/errors.js";
import type { Vault } from "../vault/vault.js";
import { blobPath } from "./folder.js";
import { addersOf, liveRefs, refsByHash } from "./refs.js";
import { resealInto } from "./reseal.js";
import { wantFor } from "./wants.js";
import type { FileRef } from "../apps/attachments/ref.js";

export interface FileToSend {
  readonly ref: FileRef;
  readonly file: string;
  readonly to: readonly DeviceState[];
  /** Recipient slots to fill, as a sync bundle to every other device has: a file's bundle must not stand out by its slot count. */
  readonly padTo: number;
}

/** Largest file sent over QR by default: about 170 frames at the normal preset. */
export const QR_FILE_BYTES = 256 * 1024;

export function filesToSend(vault: Vault): FileToSend[] {
  const state = vault.requireTeam();
  const others = [...state.devices.values()].filter((d) => d.active && d.id !== vault.deviceId);
  const out: FileToSend[] = [];
  for (const [h, places] of refsByHash(liveRefs(vault))) {
    const blob = vault.storage.blobs.get(fromHex(h));
    if (blob === undefined) continue;
    // A file goes to readers of a collection only where a reference to it was added by a device
    // that held it (this one, or one it came from or went to). Naming a hash one saw elsewhere
    // must not fetch a file out of a collection one may not read.
    const vouched = places.filter((p) => p.ref.size === blob.size && addersOf(vault, p).some((d) => d === vault.deviceId || vault.storage.blobs.peerHas(blob.hash, fromHex(d))));
    if (vouched.length === 0) continue;
    // Who asked, by the want token of each collection naming it (wants.ts).
    const wanted = new Set<string>();
    for (const c of new Set(vouched.map((p) => p.collection))) {
      const want = wantFor(vault, c, blob.hash);
      if (want !== undefined) for (const d of vault.storage.blobs.wantedBy(want)) wanted.add(toHex(d));
    }
    const collections = [...new Set(vouched.map((p) => p.collection))].map((c) => state.collections.get(c)).filter((c) => c !== undefined);
    const to = others.filter((d) => collections.some((c) => isReader(state, c, d.id)) && (wanted.has(d.id) || !vault.storage.blobs.peerHas(blob.hash, fromHex(d.id))));
    if (to.length > 0) out.push({ ref: vouched[0]!.ref, file: blob.file, to, padTo: others.length });
  }
  return out;
}

export interface SentFile {
  readonly name: string;
  readonly bytes: number;
  readonly recipients: number;
  readonly path?: string;
  readonly frames?: number;
  /** Why it was not sent this time (too large for QR). */
  readonly skipped?: string;
}

function sealOptions(vault: Vault, f: FileToSend): SealOptions {
  const tk = vault.transportKey();
  if (tk === undefined) throw vaultError("VAULT_NO_TEAM", "this vault has no transport key");
  // The slot count of a sync bundle, so neither the file nor how few devices read its
  // collection shows in the clear header.
  try {
    return { recipients: f.to.map((d) => d.keys.enc), minSlots: f.padTo, sender: vault.deviceKey, mailboxTag: tk.tag("real", tk.epochAt(vault.now())) };
  } finally {
    tk.wipe();
  }
}

function markSent(vault: Vault, f: FileToSend): void {
  vault.tx(() => {
    for (const d of f.to) vault.storage.blobs.markPeer(f.ref.hash, fromHex(d.id));
  });
}

/** Writes each file as a bundle into a drop folder's outbox, streamed, with a progress line per file. */
export async function sendFilesUsb(vault: Vault, outbox: string, progress: (line: string) => void, signal?: AbortSignal): Promise<SentFile[]> {
  const sent: SentFile[] = [];
  const files = filesToSend(vault);
  for (const [i, f] of files.entries()) {
    const label = `file ${i + 1}/${files.length} ${f.ref.name}`;
    let written;
    try {
      written = await resealInto(blobPath(vault, f.file), vault.encryptionKey, sealOptions(vault, f), outbox, (done) => progress(`${label}: ${formatBytes(done)} of ${formatBytes(f.ref.size)}`), signal);
    } catch (e) {
      if (signal?.aborted === true || !storedCopyBroken(e)) throw e;
      // The stored copy is gone or damaged: forget it, so it is asked for again, and go on.
      vault.tx(() => vault.storage.blobs.remove(f.ref.hash));
      sent.push({ name: f.ref.name, bytes: 0, recipients: 0, skipped: `the copy on this laptop is missing or damaged (${(e as { code?: string }).code ?? "error"}); it was dropped and will be asked for again` });
      continue;
    }
    markSent(vault, f);
    sent.push({ name: f.ref.name, bytes: written.length, recipients: f.to.length, path: written.path });
  }
  return sent;
}

/** A stored file that cannot be read back (not the stick's fault): missing, or failing its checks. */
function storedCopyBroken(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === "ENOENT" || isBundleError(e);
}

/**
 * The same as QR frame folders, for files up to `maxBytes`; larger ones are named with the
 * frame count they would take and left for a stick (or a later `--files-max`).
 */
export async function sendFilesQr(
  vault: Vault,
  target: string,
  first: number,
  preset: "low" | "normal" | "high" | "dense",
  maxBytes: number,
  progress: (line: string) => void,
  /** Each frame file written (for a progress line over a whole export), and each file once sent. */
  on: { readonly frame?: () => void; readonly sent?: (f: SentFile) => void } = {},
): Promise<SentFile[]> {
  const sent: SentFile[] = [];
  const files = filesToSend(vault);
  const scratch = mkdtempSync(join(tmpdir(), "airlock-qr-file-"));
  try {
    for (const [i, f] of files.entries()) {
      const length = sealedLength(f.ref.size + 16, f.padTo);
      if (f.ref.size > maxBytes) {
        sent.push({ name: f.ref.name, bytes: length, recipients: f.to.length, skipped: `${formatBytes(f.ref.size)} is more than the ${formatBytes(maxBytes)} sent over QR (about ${estimateFrames(length, preset)} frames); carry it on a USB stick, or raise --files-max` });
        continue;
      }
      const written = await resealInto(blobPath(vault, f.file), vault.encryptionKey, sealOptions(vault, f), scratch);
      const bytes = readFileSync(written.path);
      rmSync(written.path);
      const dir = join(target, `${String(first + i).padStart(2, "0")}-file`);
      progress(`file ${i + 1}/${files.length} ${f.ref.name}: rendering QR frames for ${formatBytes(bytes.length)}`);
      const { files: frames } = await writeBundleQrFolder(dir, bytes, { preset, ...(on.frame === undefined ? {} : { onFrame: on.frame }) });
      markSent(vault, f);
      const done: SentFile = { name: f.ref.name, bytes: bytes.length, recipients: f.to.length, path: dir, frames: frames.filter((n) => n.endsWith(".png")).length };
      on.sent?.(done);
      sent.push(done);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return sent;
}

/** The frames of the loop `writeBundleQrFolder` would write for a bundle of `bytes`. */
export function estimateFrames(bytes: number, preset: "low" | "normal" | "high" | "dense"): number {
  return loopLength(Math.ceil(bytes / fragmentLengthFor(PRESETS[preset], "binary")));
}
