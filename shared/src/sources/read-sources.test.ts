import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sealTestBundle } from "../../test-support/bundles.js";
import { writeBundleQrFolder } from "../transfer/qr-send.js";
import { prepareDropFolder } from "../usb/layout.js";
import { writeBundle } from "../usb/write.js";
import { readSources, type SourceEvent } from "./read-sources.js";

const root = mkdtempSync(join(tmpdir(), "airlock-sources-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function collect(paths: string[], boxes: ("inbox" | "outbox")[] = ["outbox"], maxBundleBytes = 1 << 20): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of readSources(paths, { boxes, maxBundleBytes })) out.push(e);
  return out;
}
const bundlesOf = (events: SourceEvent[]): Uint8Array[] => events.flatMap((e) => (e.type === "bundle" ? [e.bytes] : []));

describe("bundle sources", () => {
  it("reads an export folder holding one QR subfolder per bundle", async () => {
    const a = sealTestBundle(1500);
    const b = sealTestBundle(900);
    await writeBundleQrFolder(join(root, "qr", "01-sync"), a, { html: false });
    await writeBundleQrFolder(join(root, "qr", "02-welcome"), b, { html: false });
    const got = bundlesOf(await collect([join(root, "qr")]));
    expect(got.map((x) => Buffer.from(x).toString("hex")).sort()).toEqual([a, b].map((x) => Buffer.from(x).toString("hex")).sort());
  });

  it("reads the boxes it is told to, and says when a folder holds nothing it can read", async () => {
    mkdirSync(join(root, "stick"));
    const drop = await prepareDropFolder(join(root, "stick"));
    const toVault = sealTestBundle(500);
    const fromVault = sealTestBundle(600);
    await writeBundle(drop.inbox, toVault);
    await writeBundle(drop.outbox, fromVault);
    expect(bundlesOf(await collect([drop.root], ["outbox"]))).toEqual([fromVault]);
    expect(bundlesOf(await collect([drop.root], ["inbox", "outbox"]))).toHaveLength(2);
    mkdirSync(join(root, "empty"));
    expect(await collect([join(root, "empty")])).toEqual([expect.objectContaining({ type: "issue", code: "SOURCE_EMPTY" })]);
  });

  it("bounds a plain file before reading it", async () => {
    writeFileSync(join(root, "big.airlock"), new Uint8Array(5000));
    expect(await collect([join(root, "big.airlock")], ["outbox"], 4096)).toEqual([expect.objectContaining({ type: "issue", code: "SOURCE_TOO_LARGE" })]);
    const missing = collect([join(root, "nope")]);
    await expect(missing).rejects.toMatchObject({ code: "SOURCE_NOT_FOUND" });
  });
});
