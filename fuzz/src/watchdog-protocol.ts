/** What the fuzzing child and its watchdog thread share (kept apart so importing it starts nothing). */
export interface WatchdogData {
  readonly shared: SharedArrayBuffer;
  readonly target: string;
  readonly findingsDir: string;
  readonly notePath: string;
  readonly hangMs: number;
}

/** Layout of the shared buffer: [counter i32, length i32, input bytes...]. */
export const HEADER_BYTES = 8;
