/**
 * Child process of the file-to-file bench (files.ts), so each run's RSS is its own:
 *
 *   node files-child.js seal SEED INPUT OUTPUT [node-crypto]    sealFile(INPUT -> OUTPUT) to a key made from SEED
 *   node files-child.js open SEED INPUT OUTPUT [node-crypto]    openFile(INPUT -> OUTPUT) with that key
 *
 * `node-crypto`: the fallback chunk AEAD (node:crypto's) instead of libsodium's, for comparison.
 *
 * Prints one JSON line (FilesChildReport). Only the sealFile/openFile call is timed, in wall-clock
 * and in CPU seconds of the whole process (Node's own start-up is not). The peak RSS is the
 * kernel's high-water mark (resourceUsage().maxRSS), exact and free: sampling RSS every few
 * milliseconds from the main thread, as this did before, cost that thread time in the run it
 * measured. The worker thread is part of the process, so it counts.
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
  readonly maxRss: number;
  /** SHA-256 of the body, hex, so the parent checks the round trip. */
  readonly bodyHash: string;
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
    }));
  } else {
    ({ bodyLength: bodyBytes, bodyHash } = await openFileUsing(aead, input, output, { recipient, maxLength: 2 ** 40 }));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const report: FilesChildReport = {
    mode,
    aead: aead === undefined ? "node:crypto" : "libsodium",
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    bodyBytes,
    startupRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    bodyHash: Buffer.from(bodyHash).toString("hex"),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
