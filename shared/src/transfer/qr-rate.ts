/**
 * What a receiver can say about one QR transfer once it completes: the rate it achieved, how
 * many of the frames shown it caught, and which density preset would suit it.
 *
 * The sender shows frames in index order (0, 1, 2, … live; the HTML page and PNG sequences
 * loop back to 0), so the gaps between the indices received count the frames shown that the
 * receiver missed. Catching nearly all of them means it keeps up: a denser preset (or a faster
 * display) would move more bytes a second, since ZXing reads every preset up to `dense` about as
 * fast (docs/decisions.md #46). Missing most of them means it cannot follow: a sparser preset
 * (or a slower display). The sender's preset is recognised from the fragment length.
 */
import { fragmentLengthFor, PRESETS, type DensityPreset, type FrameEncoding } from "@airlock/bundle-format";

export interface QrRateReport {
  /** Seconds from this transfer's first frame to its completion, on the receiver's clock. */
  readonly seconds: number;
  readonly bytes: number;
  readonly bytesPerSecond: number;
  /** Frames of this transfer decoded (repeats included) per second. */
  readonly framesPerSecond: number;
  /** Frames the sender showed meanwhile, from the index gaps; undefined from a single frame. */
  readonly framesShown: number | undefined;
  /** Share of the frames shown that were decoded, 0-1; undefined from a single frame. */
  readonly caught: number | undefined;
  /** The sender's preset, when the fragment length is one of ours. */
  readonly preset: DensityPreset | undefined;
  readonly suggestedPreset: DensityPreset | undefined;
  /** One line for people: the rate, the share caught, the advice. */
  readonly summary: string;
}

/** Denser to the right (by QR version): the order a suggestion, and the HTML page's density keys, move along. */
export const PRESET_ORDER: readonly DensityPreset[] = (Object.keys(PRESETS) as DensityPreset[]).sort((a, b) => PRESETS[a].version - PRESETS[b].version);

/** At or above: the receiver keeps up. Below `STRUGGLING`: it cannot follow. */
export const KEEPS_UP = 0.9;
export const STRUGGLING = 0.5;

/** The preset whose fragment length this is, in this encoding. */
export function presetOfFragment(fragmentLength: number, encoding: FrameEncoding): DensityPreset | undefined {
  return PRESET_ORDER.find((p) => fragmentLengthFor(PRESETS[p], encoding) === fragmentLength);
}

/** Tracks one transfer's frames as they arrive; `report` when it completes. */
export class TransferRate {
  private readonly start: number;
  private frames = 0;
  private shown = 0;
  private previous: number | undefined;
  private readonly seen = new Set<number>();

  constructor(
    start: number,
    private readonly fragmentLength: number,
    private readonly encoding: FrameEncoding,
  ) {
    this.start = start;
  }

  /** A frame of this transfer with this index was decoded. */
  frame(index: number): void {
    this.frames++;
    // Forward: every index between was shown and missed. Backwards or equal: a loop restarted
    // (or a repeat), which says nothing of what was shown between; count the frame itself.
    if (this.previous === undefined || index <= this.previous) this.shown += index === this.previous ? 0 : 1;
    else this.shown += index - this.previous;
    this.previous = index;
    // Bounded: a transfer has at most MAX_BLOCKS source frames, but coded indices are open-ended.
    if (this.seen.size < 65_536) this.seen.add(index);
  }

  report(now: number, bytes: number): QrRateReport {
    const seconds = Math.max(0, (now - this.start) / 1000);
    const per = (n: number): number => (seconds > 0 ? n / seconds : 0);
    const caught = this.frames > 1 && this.shown > 0 ? Math.min(1, this.seen.size / this.shown) : undefined;
    const preset = presetOfFragment(this.fragmentLength, this.encoding);
    const suggestedPreset = suggestPreset(preset, caught);
    const report = {
      seconds,
      bytes,
      bytesPerSecond: per(bytes),
      framesPerSecond: per(this.frames),
      framesShown: caught === undefined ? undefined : this.shown,
      caught,
      preset,
      suggestedPreset,
    };
    return { ...report, summary: summarize(report) };
  }
}

/** Keeps up → one step denser; cannot follow → one step sparser; else the same. */
export function suggestPreset(preset: DensityPreset | undefined, caught: number | undefined): DensityPreset | undefined {
  if (preset === undefined || caught === undefined) return preset;
  const i = PRESET_ORDER.indexOf(preset);
  if (caught >= KEEPS_UP) return PRESET_ORDER[Math.min(PRESET_ORDER.length - 1, i + 1)];
  if (caught < STRUGGLING) return PRESET_ORDER[Math.max(0, i - 1)];
  return preset;
}

function summarize(r: Omit<QrRateReport, "summary">): string {
  const rate = r.bytesPerSecond >= 1000 ? `${(r.bytesPerSecond / 1000).toFixed(1)} KB/s` : `${Math.round(r.bytesPerSecond)} B/s`;
  const head = `${rate}, ${r.framesPerSecond.toFixed(1)} frames/s over ${r.seconds.toFixed(1)} s`;
  if (r.caught === undefined || r.framesShown === undefined) return `${head}${r.preset === undefined ? "" : ` at preset ${r.preset}`}`;
  const caught = `caught ${Math.round(r.caught * 100)}% of ${r.framesShown} frames shown`;
  if (r.preset === undefined) return `${head}, ${caught}`;
  let advice: string;
  if (r.suggestedPreset !== r.preset) {
    advice = r.caught >= KEEPS_UP ? `preset ${r.suggestedPreset} (or a faster display) would suit this receiver` : `preset ${r.suggestedPreset} (or a slower display) would suit this receiver`;
  } else if (r.caught >= KEEPS_UP) {
    advice = `${r.preset} is the densest preset; a faster display would suit this receiver`;
  } else if (r.caught < STRUGGLING) {
    advice = `${r.preset} is the sparsest preset; a slower display would suit this receiver`;
  } else {
    advice = `preset ${r.preset} suits this receiver`;
  }
  return `${head} at preset ${r.preset}, ${caught}: ${advice}`;
}
