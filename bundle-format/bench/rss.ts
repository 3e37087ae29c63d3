/**
 * Figure 3: peak RSS while sealing and while opening a 1 GiB streamed body, each in its own
 * child process (rss-child.ts). The seal child writes the bundle to a temp file in os.tmpdir();
 * the open child streams that file back; the temp file is deleted afterwards. Baseline: the
 * child's RSS right after startup, so the ratio shows the growth the work causes.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sealedLength } from "../src/index.js";
import type { Report } from "./report.js";
import { RSS_RECIPIENTS, type ChildReport } from "./rss-protocol.js";
import { mbPerSecond, sizeLabel, toMiB } from "./sizes.js";

const CHILD = fileURLToPath(new URL("./rss-child.js", import.meta.url));
/** The target: peak RSS under 128 MiB. */
const TARGET_MIB = 128;

async function runChild(mode: "seal" | "open", bodyBytes: number, file: string): Promise<ChildReport> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, mode, String(bodyBytes), file], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as ChildReport;
}

export async function benchRss(report: Report, bodyBytes: number): Promise<void> {
  const label = sizeLabel(bodyBytes);
  const file = join(tmpdir(), `airlock-bench-${process.pid}-${randomBytes(6).toString("hex")}.bundle`);
  let seal: ChildReport;
  let open: ChildReport;
  try {
    seal = await runChild("seal", bodyBytes, file);
    const written = statSync(file).size;
    const expected = sealedLength(bodyBytes, RSS_RECIPIENTS);
    if (written !== expected) throw new Error(`sealed file is ${written} bytes, expected ${expected}`);
    open = await runChild("open", bodyBytes, file);
    if (open.bodySha256 !== seal.bodySha256) throw new Error("the opened body differs from the sealed one");
  } finally {
    rmSync(file, { force: true });
  }

  report.section(`Peak RSS, ${label} body streamed in 64 KiB pieces (bundle ${seal.bundleBytes} bytes), one child process each`);
  report.info("seal: generator -> sealBundleStream -> temp file; open: temp file -> openBundleStream -> SHA-256 (round trip checked)");
  for (const child of [seal, open]) {
    const peak = Math.max(child.peakRssSampled, child.maxRss);
    report.add({
      name: `peak-rss.${child.mode}.${label}`,
      value: toMiB(peak),
      unit: "MiB",
      baseline: toMiB(child.startupRss),
      baselineIs: "child RSS at startup",
      better: "lower",
      target: { on: "value", op: "<", limit: TARGET_MIB },
      note:
        `growth ${toMiB(peak - child.startupRss).toFixed(1)} MiB; sampled peak ${toMiB(child.peakRssSampled).toFixed(1)} MiB, ` +
        `maxRSS ${toMiB(child.maxRss).toFixed(1)} MiB; ${child.seconds.toFixed(1)} s, ${mbPerSecond(child.bodyBytes, child.seconds).toFixed(0)} MB/s incl. file I/O`,
    });
  }
}
