/** What every fuzz target provides: seeds made by the project's own encoders, and one call. */
export interface TargetInstance {
  /** Valid inputs (real bundles, frames, entries...), the starting corpus. */
  readonly seeds: readonly Uint8Array[];
  /**
   * Feeds one input to the real parser. Returns a short feature string for accepted inputs
   * (e.g. the payload kind) or nothing; throws what the parser throws, or FuzzInvariantError.
   */
  run(input: Uint8Array): string | void | Promise<string | void>;
  close?(): Promise<void>;
}

export interface Target {
  readonly name: string;
  /** The entry point(s) called, for the report. */
  readonly entry: string;
  /** The closed list of error codes this parser may throw for bad input. */
  readonly codes: readonly string[];
  /** Inputs are capped at this size (the parser's own limit plus a little, or less for speed). */
  readonly maxInput: number;
  /** The input is CBOR (or holds CBOR): use the structure-aware mutations too. */
  readonly cbor: boolean;
  create(): Promise<TargetInstance>;
}
