/**
 * Child process of the file-to-file bench (files.ts), so each run's RSS is its own:
 *
 *   node files-child.js seal SEED INPUT OUTPUT [node-crypto]    sealFile(INPUT -> OUTPUT) to a key made from SEED
 *   node files-child.js open SEED INPUT OUTPUT [node-crypto]    openFile(INPUT -> OUTPUT) with that key
 *
 * `node-crypto`: the fallback chunk AEAD (node:crypto's) instead of libsodium's, for comparison.
 *
 * Prints one JSON line (FilesChildReport). Only the sealFile/openFile call is timed, in wall-clock
 * and in CPU seconds of the whole process (Node's own start-up is not); RSS is sampled every 5 ms and at every progress call, and the kernel's
 * high-water mark (resourceUsage().maxRSS) is reported too. The worker thread is part of the
 * process, so both count it.
 */
import { createHash } from "node:crypto";
import { ed25519KeyPair, x25519KeyPair, type KeyPair } from "@airlock/bundle-format/streaming";
import { openFileUsing } from "../src/files/open-file.js";
import { sealFileUsing } from "../src/files/seal-file.js";
import { fileChunkAead } from "../src/files/sodium-aead.js";

// First thing after the imports: the baseline the figure grows from.
const startupRss = process.memoryUsage().rss;

export interface FilesChildReport {
  readonly mode: "seal" | "open";
  /** The chunk AEAD that ran. */
  readonly aead: "libsodium" | "node:crypto";
  readonly seconds: number;
  /** CPU seconds (user + system, every thread of the process) spent in the call. */
  readonly cpuSeconds: number;
  readonly bodyBytes: number;
  readonly startupRss: number;
  readonly peakRssSampled: number;
  readonly maxRss: number;
  /** SHA-256 of the body, hex, so the parent checks the round trip. */
  readonly bodyHash: string;
}

let peak = startupRss;
function sample(): void {
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
}

function benchKeys(seed: string): { sender: KeyPair; recipient: KeyPair } {
  const bytes = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(`${seed} ${label}`).digest());
  return { sender: ed25519KeyPair(bytes("sender")), recipient: x25519KeyPair(bytes("recipient")) };
}

async function main(): Promise<void> {
  const [mode, seed, input, output, binding] = process.argv.slice(2);
  if ((mode !== "seal" && mode !== "open") || seed === undefined || input === undefined || output === undefined || (binding !== undefined && binding !== "node-crypto")) {
    throw new Error("usage: files-child.js seal|open SEED INPUT OUTPUT [node-crypto]");
  }
  const { sender, recipient } = benchKeys(seed);
  const timer = setInterval(sample, 5);
  const onProgress = (): void => sample();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  // Timed too: the first call loads and checks the binding (about 10 ms), as sealFile's does.
  const aead = binding === "node-crypto" ? undefined : fileChunkAead();
  let bodyBytes: number;
  let bodyHash: Uint8Array;
  if (mode === "seal") {
    ({ bodyLength: bodyBytes, bodyHash } = await sealFileUsing(aead, input, output, {
      recipients: [recipient.publicKey],
      sender,
      mailboxTag: new Uint8Array(16),
      onProgress,
    }));
  } else {
    ({ bodyLength: bodyBytes, bodyHash } = await openFileUsing(aead, input, output, { recipient, maxLength: 2 ** 40, onProgress }));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  sample();
  const report: FilesChildReport = {
    mode,
    aead: aead === undefined ? "node:crypto" : "libsodium",
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    bodyBytes,
    startupRss,
    peakRssSampled: peak,
    maxRss: process.resourceUsage().maxRSS * 1024,
    bodyHash: Buffer.from(bodyHash).toString("hex"),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
