/**
 * Child process of figure 3 (rss.ts), so the parent's heap cannot pollute the reading.
 *
 *   node rss-child.js seal BODY_BYTES FILE   seals a BODY_BYTES random body, produced by a generator
 *                                            of fresh 64 KiB pieces, through sealBundleStream into FILE
 *   node rss-child.js open BODY_BYTES FILE   streams FILE (fs.createReadStream) through openBundleStream
 *                                            and hashes the body it releases
 *
 * Prints one JSON line (ChildReport) on stdout. RSS is sampled at every piece and every 5 ms;
 * the kernel's high-water mark (resourceUsage().maxRSS, KiB) is reported too.
 */
import { createHash, randomFillSync } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { openBundleStream, sealBundleStream, sealedLength } from "../src/index.js";
import { party } from "./fixtures.js";
import { RSS_RECIPIENTS, type ChildReport } from "./rss-protocol.js";

// First thing after the imports: the baseline the figure grows from.
const startupRss = process.memoryUsage().rss;

const PIECE = 64 * 1024;

let peak = startupRss;
function sample(): void {
  const rss = process.memoryUsage.rss(); // same figure as memoryUsage().rss, without the heap walk
  if (rss > peak) peak = rss;
}

async function* randomBody(bytes: number, onPiece: (piece: Uint8Array) => void): AsyncGenerator<Uint8Array, void, undefined> {
  for (let left = bytes; left > 0; left -= PIECE) {
    const piece = randomFillSync(Buffer.allocUnsafe(Math.min(PIECE, left)));
    onPiece(piece);
    yield piece;
  }
}

async function* sampled(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const piece of source) {
    sample();
    yield piece;
  }
}

async function main(): Promise<void> {
  const [mode, bytesArg, file] = process.argv.slice(2);
  const bodyBytes = Number(bytesArg);
  if ((mode !== "seal" && mode !== "open") || !Number.isSafeInteger(bodyBytes) || bodyBytes < 0 || file === undefined) {
    throw new Error("usage: rss-child.js seal|open BODY_BYTES FILE");
  }
  const { recipients, options } = party(RSS_RECIPIENTS, "rss");
  const bundleBytes = sealedLength(bodyBytes, RSS_RECIPIENTS);
  const hash = createHash("sha256");
  const timer = setInterval(sample, 5);
  const start = process.hrtime.bigint();

  if (mode === "seal") {
    const body = randomBody(bodyBytes, (piece) => void hash.update(piece));
    await pipeline(sampled(sealBundleStream(body, bodyBytes, options)), createWriteStream(file));
  } else {
    const source = sampled(createReadStream(file, { highWaterMark: PIECE }));
    const reader = openBundleStream(source, { recipient: recipients[0]!, maxLength: bundleBytes });
    for await (const piece of reader.body) {
      hash.update(piece);
      sample();
    }
    const info = await reader.result;
    if (info.bodyLength !== bodyBytes) throw new Error(`opened ${info.bodyLength} body bytes, expected ${bodyBytes}`);
  }

  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(timer);
  sample();
  const report: ChildReport = {
    mode,
    bodyBytes,
    bundleBytes,
    seconds,
    startupRss,
    peakRssSampled: peak,
    maxRss: process.resourceUsage().maxRSS * 1024,
    bodySha256: hash.digest("hex"),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
