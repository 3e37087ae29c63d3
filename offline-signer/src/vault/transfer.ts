/**
 * Export and import as files: the sync engine (sync.ts) joined to USB drop folders, QR frame
 * folders and whatever `readSources` reads. Shared by `airlock export|import` and the TUI, which
 * differ only in how they show progress and the result.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { formatBytes, isAirlockError, prepareDropFolder, readSources, writeBundle, writeBundleQrFolder } from "@airlock/shared";
import { vaultError } from "./errors.js";
import { MAX_REQUEST_BYTES } from "./request.js";
import { applyPayloadsParallel, emptyReport, exportBundles, openForVault, type ExportOptions, type ImportReport, type OpenedPayload } from "./sync.js";
import type { Vault } from "./vault.js";

const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export type QrPreset = "low" | "normal" | "high";
export type ExportTarget = { readonly usb: string } | { readonly qr: string; readonly preset?: QrPreset };

export interface WrittenBundle {
  readonly kind: string;
  readonly bytes: number;
  readonly changesets: number;
  readonly entries: number;
  /** The bundle file (USB) or its folder of frames (QR). */
  readonly path: string;
  readonly frames?: number;
}

/** Seals what the other devices are missing and writes it to a USB drop folder or as QR frame folders. */
export async function exportTo(vault: Vault, target: ExportTarget, progress: (line: string) => void = () => {}, options: ExportOptions = {}): Promise<WrittenBundle[]> {
  const bundles = exportBundles(vault, options);
  const written: WrittenBundle[] = [];
  if ("usb" in target) {
    const drop = await prepareDropFolder(target.usb);
    for (const [i, b] of bundles.entries()) {
      const w = await writeBundle(drop.outbox, b.bytes, { onProgress: (p) => progress(`bundle ${i + 1}/${bundles.length}: ${formatBytes(p.written)} of ${formatBytes(p.total)}`) });
      written.push({ kind: b.kind, bytes: b.bytes.length, changesets: b.changesets, entries: b.entries, path: w.path });
    }
  } else {
    for (const [i, b] of bundles.entries()) {
      const dir = join(target.qr, `${String(i + 1).padStart(2, "0")}-${b.kind}`);
      mkdirSync(dir, { recursive: true });
      progress(`bundle ${i + 1}/${bundles.length}: rendering QR frames for ${formatBytes(b.bytes.length)}`);
      const { files } = await writeBundleQrFolder(dir, b.bytes, { preset: target.preset ?? "normal" });
      written.push({ kind: b.kind, bytes: b.bytes.length, changesets: b.changesets, entries: b.entries, path: dir, frames: files.filter((f) => f.endsWith(".png")).length });
    }
  }
  return written;
}

export function exportLines(written: readonly WrittenBundle[]): string[] {
  return written.map(
    (w) => `${w.kind.padEnd(7)} ${formatBytes(w.bytes).padStart(9)}  ${w.changesets} changeset(s), ${w.entries} team entries${w.frames === undefined ? "" : `, ${w.frames} frames`}  → ${w.path}`,
  );
}

/** Reads bundles from files, drop folders, QR images or videos and applies them; damaged input becomes report issues. */
export async function importFrom(vault: Vault, paths: readonly string[], progress?: (line: string) => void): Promise<{ read: number; report: ImportReport }> {
  const report = emptyReport();
  const opened: OpenedPayload[] = [];
  let read = 0;
  for await (const event of readSources(paths, { boxes: ["inbox", "outbox"], maxBundleBytes: MAX_BUNDLE_BYTES, program: "airlock", ...(progress === undefined ? {} : { progress }) })) {
    if (event.type === "issue") {
      report.issues.push({ source: event.from, code: event.code, reason: event.reason });
      continue;
    }
    read++;
    const o = openForVault(vault, event.bytes, event.from, report);
    if (o !== undefined) opened.push(o);
  }
  await applyPayloadsParallel(vault, opened, report);
  return { read, report };
}

export function importLines(read: number, report: ImportReport): string[] {
  const lines = [`Read ${read} bundle(s): ${report.bundles} for this device, ${report.notForMe} for others.`];
  if (report.welcomed !== undefined) lines.push(`Welcome to team "${report.welcomed}".`);
  lines.push(
    `Team entries: ${report.entriesAdded} new${report.entriesRejected > 0 ? `, ${report.entriesRejected} rejected` : ""}. Changesets: ${report.changesetsNew} new, ${report.applied} applied, ${report.locked} locked, ${report.rejected} rejected, ${report.duplicates} already had${report.waiting > 0 ? `, ${report.waiting} waiting for earlier ones` : ""}.`,
  );
  if (report.quarantined > 0) lines.push(`${report.quarantined} quarantined (see airlock status).`);
  for (const i of report.issues) lines.push(`  ! ${i.source}: ${i.reason} (${i.code})`);
  return lines;
}

/** A join request people carried in: its file, or the same as QR images or a video of them. */
export async function readRequest(path: string, progress?: (line: string) => void): Promise<Uint8Array> {
  const issues: string[] = [];
  for await (const event of readSources([path], { maxBundleBytes: MAX_REQUEST_BYTES, boxes: [], program: "airlock", ...(progress === undefined ? {} : { progress }) })) {
    if (event.type === "bundle") return event.bytes;
    issues.push(`${event.code}: ${event.reason}`);
  }
  throw vaultError("VAULT_BAD_ARGUMENT", `no join request could be read from ${path}${issues.length > 0 ? ` (${issues.join("; ")})` : ""}`);
}

/**
 * The device ids a person means by `refs` for `export --welcome`: each is a member (name or id
 * prefix: all their active devices) or a device id prefix.
 */
export function welcomeTargets(vault: Vault, refs: readonly string[]): string[] {
  const state = vault.requireTeam();
  const ids = new Set<string>();
  for (const ref of refs) {
    let devices;
    try {
      const user = vault.findUser(ref);
      // A member's name means their other laptops (my own name: my second laptop).
      devices = [...state.devices.values()].filter((d) => d.user === user.id && d.active && d.id !== vault.deviceId);
      if (devices.length === 0) throw vaultError("VAULT_BAD_ARGUMENT", `${user.name} has no other active laptop to welcome`);
    } catch (e) {
      if (isAirlockError(e, "VAULT_BAD_ARGUMENT")) throw e;
      devices = [vault.findDevice(ref)];
    }
    for (const d of devices) {
      if (d.id === vault.deviceId) throw vaultError("VAULT_BAD_ARGUMENT", "this laptop does not need a welcome from itself");
      if (!d.active) throw vaultError("VAULT_BAD_ARGUMENT", `device ${d.id.slice(0, 12)} was revoked; it gets no welcome`);
      ids.add(d.id);
    }
  }
  return [...ids];
}
