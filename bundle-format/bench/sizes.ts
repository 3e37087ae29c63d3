/** Byte-size constants and labels shared by the benchmark files. */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** "64KiB", "1MiB", "1GiB": used in result names, so a name always says the size it measured. */
export function sizeLabel(bytes: number): string {
  for (const [unit, size] of [
    ["GiB", GiB],
    ["MiB", MiB],
    ["KiB", KiB],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** Throughput in MB/s (10^6 bytes per second) of `bytes` processed in `seconds`. */
export const mbPerSecond = (bytes: number, seconds: number): number => bytes / seconds / 1e6;

export const toMiB = (bytes: number): number => bytes / MiB;
