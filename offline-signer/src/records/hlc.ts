// Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014).
// A timestamp is (wall ms, counter, device id); the total order is wall, then counter, then device.
// Pure: the physical clock is injected, nothing here reads the system time.

/** Device ids are 32 bytes, carried as 64 lowercase hex characters. */
export const DEVICE_ID_BYTES = 32;
/** Largest accepted wall time: 2^48 - 1 ms (year 10889), so it fits 12 hex digits / 6 bytes. */
export const MAX_WALL_MS = 2 ** 48 - 1;
/** Largest counter: it is encoded as an unsigned 32-bit integer. */
export const MAX_COUNTER = 0xffff_ffff;
/** Default bound on how far in the future a remote timestamp may be: 24 hours. */
export const DEFAULT_MAX_SKEW_MS = 24 * 60 * 60 * 1000;
/** Length of `hlcBytes`: wall (8) + counter (4) + device (32). */
export const HLC_BYTES = 8 + 4 + DEVICE_ID_BYTES;

export interface Hlc {
  readonly wall: number;
  readonly counter: number;
  /** 64 lowercase hex characters. */
  readonly device: string;
}

export interface HlcInput {
  readonly wall: number;
  readonly counter: number;
  readonly device: string | Uint8Array;
}

/** A remote timestamp is further in the future than the skew bound allows. */
export class HlcSkewError extends RangeError {
  readonly code = "HLC_SKEW";
  constructor(
    readonly remoteWall: number,
    readonly physicalWall: number,
    readonly maxSkewMs: number,
  ) {
    super(
      `remote HLC wall time ${remoteWall} is ${remoteWall - physicalWall} ms ahead of the local clock (limit ${maxSkewMs} ms)`,
    );
    this.name = "HlcSkewError";
  }
}

/** The logical counter would exceed MAX_COUNTER within one wall millisecond. */
export class HlcCounterOverflowError extends RangeError {
  readonly code = "HLC_COUNTER_OVERFLOW";
  constructor(readonly wall: number) {
    super(`HLC counter overflow at wall time ${wall}`);
    this.name = "HlcCounterOverflowError";
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Normalizes a device id (32-byte Uint8Array or 64 lowercase hex characters) to lowercase hex. */
export function deviceIdHex(device: unknown): string {
  if (device instanceof Uint8Array) {
    if (device.length !== DEVICE_ID_BYTES) throw new RangeError(`device id must be ${DEVICE_ID_BYTES} bytes, got ${device.length}`);
    return Buffer.from(device.buffer, device.byteOffset, device.length).toString("hex");
  }
  if (typeof device !== "string") throw new TypeError(`device id must be a string or Uint8Array, got ${typeof device}`);
  if (!HEX64.test(device)) throw new RangeError("device id must be 64 lowercase hex characters");
  return device;
}

function checkWall(wall: unknown, what: string): number {
  if (typeof wall !== "number") throw new TypeError(`${what} must be a number, got ${typeof wall}`);
  if (!Number.isInteger(wall) || wall < 0 || wall > MAX_WALL_MS) {
    throw new RangeError(`${what} must be an integer in [0, ${MAX_WALL_MS}], got ${wall}`);
  }
  return wall === 0 ? 0 : wall; // folds -0
}

function checkCounter(counter: unknown): number {
  if (typeof counter !== "number") throw new TypeError(`HLC counter must be a number, got ${typeof counter}`);
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
    throw new RangeError(`HLC counter must be an integer in [0, ${MAX_COUNTER}], got ${counter}`);
  }
  return counter === 0 ? 0 : counter;
}

/** Validates an untrusted timestamp and returns a frozen, normalized copy. */
export function hlc(input: unknown): Hlc {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new TypeError("HLC must be an object");
  const keys = Object.keys(input).sort();
  if (keys.length !== 3 || keys[0] !== "counter" || keys[1] !== "device" || keys[2] !== "wall") {
    throw new TypeError(`HLC must have exactly the keys wall, counter, device; got ${keys.join(", ")}`);
  }
  const o = input as Record<string, unknown>;
  return Object.freeze({
    wall: checkWall(o.wall, "HLC wall time"),
    counter: checkCounter(o.counter),
    device: deviceIdHex(o.device),
  });
}

/** Total order: wall, then counter, then device id (bytewise, which equals lowercase-hex order). */
export function compareHlc(a: Hlc, b: Hlc): -1 | 0 | 1 {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.device !== b.device) return a.device < b.device ? -1 : 1;
  return 0;
}

/** Fixed-width hex (12 + 8 + 64 characters); string order equals `compareHlc` order. Used as the op id. */
export function hlcKey(h: Hlc): string {
  return h.wall.toString(16).padStart(12, "0") + h.counter.toString(16).padStart(8, "0") + h.device;
}

/** Canonical bytes: wall as u64 big-endian, counter as u32 big-endian, then the 32 device bytes. */
export function hlcBytes(h: Hlc): Uint8Array {
  const out = new Uint8Array(HLC_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(h.wall / 2 ** 32));
  view.setUint32(4, h.wall % 2 ** 32);
  view.setUint32(8, h.counter);
  out.set(Buffer.from(h.device, "hex"), 12);
  return out;
}

export interface HlcClockOptions {
  /** Remote timestamps more than this far ahead of the physical clock are refused. Default 24 h. */
  readonly maxSkewMs?: number;
  /** The last timestamp this device issued or observed (persisted across restarts). */
  readonly last?: HlcInput;
}

/**
 * One device's clock. `now()` stamps a local event; `receive(remote)` merges a timestamp seen in
 * another device's op. Every returned timestamp is strictly greater than every timestamp returned or
 * received before. On error the clock state is unchanged.
 */
export class HlcClock {
  readonly device: string;
  readonly maxSkewMs: number;
  #wall: number;
  #counter: number;
  readonly #physical: () => number;

  constructor(device: string | Uint8Array, physical: () => number, options: HlcClockOptions = {}) {
    this.device = deviceIdHex(device);
    if (typeof physical !== "function") throw new TypeError("physical clock must be a function");
    this.#physical = physical;
    const skew = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    if (typeof skew !== "number") throw new TypeError("maxSkewMs must be a number");
    if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError("maxSkewMs must be a non-negative safe integer");
    this.maxSkewMs = skew;
    if (options.last === undefined) {
      this.#wall = 0;
      this.#counter = 0;
    } else {
      const last = hlc(options.last);
      this.#wall = last.wall;
      this.#counter = last.counter;
    }
  }

  /** The latest (wall, counter) this clock has issued or observed, stamped with this device's id. */
  get last(): Hlc {
    return Object.freeze({ wall: this.#wall, counter: this.#counter, device: this.device });
  }

  #readPhysical(): number {
    return checkWall(this.#physical(), "physical clock reading");
  }

  /** Timestamp for a local event (send). */
  now(): Hlc {
    const pt = this.#readPhysical();
    let wall: number;
    let counter: number;
    if (pt > this.#wall) {
      wall = pt;
      counter = 0;
    } else {
      wall = this.#wall;
      counter = this.#counter + 1;
    }
    return this.#commit(wall, counter);
  }

  /** Merges a remote timestamp (receive event); returns the new local timestamp. */
  receive(remoteInput: HlcInput): Hlc {
    const remote = hlc(remoteInput);
    const pt = this.#readPhysical();
    if (remote.wall > pt + this.maxSkewMs) throw new HlcSkewError(remote.wall, pt, this.maxSkewMs);
    const wall = Math.max(this.#wall, remote.wall, pt);
    let counter: number;
    if (wall === this.#wall && wall === remote.wall) counter = Math.max(this.#counter, remote.counter) + 1;
    else if (wall === this.#wall) counter = this.#counter + 1;
    else if (wall === remote.wall) counter = remote.counter + 1;
    else counter = 0;
    return this.#commit(wall, counter);
  }

  #commit(wall: number, counter: number): Hlc {
    if (counter > MAX_COUNTER) throw new HlcCounterOverflowError(wall);
    this.#wall = wall;
    this.#counter = counter;
    return Object.freeze({ wall, counter, device: this.device });
  }
}
