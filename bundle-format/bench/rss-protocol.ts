/** What rss.ts and its child process rss-child.ts agree on. */

/** Recipients of the streamed bundle (as in the throughput figures). */
export const RSS_RECIPIENTS = 2;

/** The one JSON line the child prints on stdout. Sizes in bytes. */
export interface ChildReport {
  readonly mode: "seal" | "open";
  readonly bodyBytes: number;
  readonly bundleBytes: number;
  readonly seconds: number;
  /** RSS right after startup, before any work. */
  readonly startupRss: number;
  /** Highest sampled process.memoryUsage().rss. */
  readonly peakRssSampled: number;
  /** process.resourceUsage().maxRSS * 1024: the kernel's high-water mark for the process. */
  readonly maxRss: number;
  /** SHA-256 of the body generated (seal) or released (open), so the parent checks the round trip. */
  readonly bodySha256: string;
}
