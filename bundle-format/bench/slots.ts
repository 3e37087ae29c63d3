/**
 * Figure 2: what the recipient slot position costs. An opener trial-decrypts slots in order
 * until one opens, so with 64 slots the device in the last slot does 63 more failed
 * ChaCha20-Poly1305 opens than the one in the first. Same 1 KiB body, same keys; only the
 * slot order differs (fixed through SealRandomness).
 */
import { randomBytes } from "node:crypto";
import { openBundle, sealBundle, slotCountFor, type SealRandomness } from "../src/index.js";
import { party } from "./fixtures.js";
import type { Report } from "./report.js";
import { KiB } from "./sizes.js";
import { collectGarbage, sampleInterleaved, timingOf, type SamplePlan } from "./timing.js";

const RECIPIENTS = 64;
const BODY = 1 * KiB;
/** Index (in the recipient list) of the device that opens. */
const ME = 0;

export type SlotsConfig = SamplePlan;

/** Slot order with device ME at `position` and the other recipients in order around it. */
function slotsWithMeAt(position: "first" | "last"): number[] {
  const others = Array.from({ length: RECIPIENTS }, (_, i) => i).filter((i) => i !== ME);
  return position === "first" ? [ME, ...others] : [...others, ME];
}

export async function benchSlots(report: Report, config: SlotsConfig): Promise<void> {
  collectGarbage();
  const slotCount = slotCountFor(RECIPIENTS);
  if (slotCount !== RECIPIENTS) throw new Error(`expected ${RECIPIENTS} slots for ${RECIPIENTS} recipients, got ${slotCount}`);
  const { recipients, options } = party(RECIPIENTS, "slots");
  const me = { recipient: recipients[ME]! };
  const body = randomBytes(BODY);
  const sealWithMeAt = (position: "first" | "last"): Uint8Array => {
    const randomness: SealRandomness = {
      ephemeralSecret: randomBytes(32),
      contentKey: randomBytes(32),
      slots: slotsWithMeAt(position),
    };
    return sealBundle(body, options, randomness);
  };
  const first = sealWithMeAt("first");
  const last = sealWithMeAt("last");
  for (const bundle of [first, last]) {
    if (!body.equals(openBundle(bundle, me).body)) throw new Error("open(seal(body)) differs from body in the slot benchmark");
  }

  const t = await sampleInterleaved(
    [
      { name: "first", run: () => void openBundle(first, me) },
      { name: "last", run: () => void openBundle(last, me) },
    ],
    config,
  );
  const ms = (name: string): number => timingOf(t, name).median * 1e3;
  const perSlotUs = ((ms("last") - ms("first")) * 1e3) / (RECIPIENTS - 1);

  report.section(`Open with ${RECIPIENTS} recipient slots, 1 KiB body (bundle ${first.length} bytes)`);
  const spread = (name: string): string => `${name} ±${(timingOf(t, name).spread * 50).toFixed(1)}%`;
  report.info(
    `${config.rounds} interleaved samples per case (each >= ${config.minSampleSeconds * 1e3} ms), medians; ` +
      `half-IQR: ${spread("first")}, ${spread("last")}`,
  );
  report.add({
    name: `open-last-of-${RECIPIENTS}-slots`,
    value: ms("last"),
    unit: "ms",
    baseline: ms("first"),
    baselineIs: "same open, our slot first",
    better: "lower",
    note: `each slot tried before ours costs ~${perSlotUs.toFixed(1)} µs (a failed trial decryption of one 48-byte slot)`,
  });
}
