/**
 * One target in its own process (so its peak RSS is its own), with a watchdog thread for
 * hangs. Argument: a JSON ChildRequest. Reports progress and the final report over IPC.
 */
import { resourceUsage } from "node:process";
import { Worker } from "node:worker_threads";
import { FuzzRun, type TargetReport } from "./engine.js";
import { targetNamed } from "./targets/index.js";
import { HEADER_BYTES, type WatchdogData } from "./watchdog-protocol.js";

export interface ChildRequest {
  readonly target: string;
  readonly runs: number;
  readonly seed: number;
  readonly findingsDir: string;
  readonly notePath: string;
  readonly hangMs: number;
  readonly maxSeconds: number | undefined;
}

export type ChildMessage =
  | { readonly type: "progress"; readonly report: SerialReport }
  | { readonly type: "done"; readonly report: SerialReport };

/** A report with finding inputs as hex, for IPC and JSON. */
export type SerialReport = Omit<TargetReport, "findings"> & { readonly findings: readonly (Omit<TargetReport["findings"][number], "input"> & { readonly hex: string })[] };

export function serial(report: TargetReport, peakRssMiB = report.peakRssMiB): SerialReport {
  return {
    ...report,
    peakRssMiB,
    findings: report.findings.map(({ input, ...f }) => ({ ...f, hex: Buffer.from(input).toString("hex") })),
  };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]!) as ChildRequest;
  const target = targetNamed(request.target);
  const shared = new SharedArrayBuffer(HEADER_BYTES + target.maxInput);
  const words = new Int32Array(shared, 0, 2);
  const bytes = new Uint8Array(shared, HEADER_BYTES);
  const data: WatchdogData = { shared, target: target.name, findingsDir: request.findingsDir, notePath: request.notePath, hangMs: request.hangMs };
  const watchdog = new Worker(new URL("./watchdog.js", import.meta.url), { workerData: data });
  watchdog.unref();

  const instance = await target.create();
  const run = new FuzzRun(target, instance, {
    runs: request.runs,
    seed: request.seed,
    maxSeconds: request.maxSeconds,
    beforeInput: (input) => {
      bytes.set(input);
      Atomics.store(words, 1, input.length);
      Atomics.add(words, 0, 1);
    },
    onProgress: (_done, report) => process.send!({ type: "progress", report: serial(report) } satisfies ChildMessage),
  });
  process.on("uncaughtException", (e) => run.stray(e));
  process.on("unhandledRejection", (e) => run.stray(e));
  const report = await run.run();
  await instance.close?.();
  const peak = Math.max(report.peakRssMiB, resourceUsage().maxRSS / 1024);
  process.send!({ type: "done", report: serial(report, peak) } satisfies ChildMessage, () => process.exit(0));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(2);
});
