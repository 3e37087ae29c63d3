/**
 * The bytes the store keeps per record to fold later ops into (`records.state`, docs/vault-store.md):
 * the rows of `foldState`, so an import touching a record reads one row of its own, not its
 * whole history. Written and read only by this vault, inside its encrypted file; a row that does
 * not parse is refolded from the ops (the ops table stays the source of truth).
 *
 *   u32 devices, devices × 32-byte device id;
 *   per row: u8 kind, u16 field length, field (UTF-8), u64 wall, u32 counter, u32 device index,
 *            u32 value length, value (encodeValue bytes).
 *
 * A device index of 32 bits cannot run out: a record's rows come from changesets of at most
 * 65,536 ops each, and a hostile snapshot naming that many made-up devices must still fold.
 */
import { HLC_BYTES } from "../records/hlc.js";
import type { OpRow } from "../apps/fold.js";

const DEVICE_BYTES = HLC_BYTES - 12;
/** A row's bytes besides its field and value: kind, field length, wall, counter, device index, value length. */
const ROW_FIXED = 1 + 2 + 8 + 4 + 4 + 4;
export function encodeState(rows: readonly OpRow[]): Buffer {
  // First the size and each row's device index; then one pass that writes.
  const deviceIds: Uint8Array[] = [];
  let devices: Map<string, number> | undefined;
  const indexes = new Uint32Array(rows.length);
  let size = 4;
  let last: Uint8Array | undefined;
  let lastIndex = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    // Most records are written by one or two devices: a repeat or a short list needs no map.
    if (last === undefined || !sameDevice(r.hlc, last)) {
      let index = -1;
      if (devices === undefined) {
        for (let d = 0; d < deviceIds.length; d++) if (sameDevice(r.hlc, deviceIds[d]!)) index = d;
      } else index = devices.get(deviceKey(r.hlc)) ?? -1;
      if (index < 0) {
        index = deviceIds.length;
        deviceIds.push(r.hlc);
        if (devices === undefined && deviceIds.length > 8) devices = new Map(deviceIds.map((d, k) => [deviceKey(d), k]));
        else devices?.set(deviceKey(r.hlc), index);
        size += DEVICE_BYTES;
      }
      last = r.hlc;
      lastIndex = index;
    }
    indexes[i] = lastIndex;
    size += ROW_FIXED + Buffer.byteLength(r.field, "utf8") + r.value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt32BE(deviceIds.length, 0);
  for (const d of deviceIds) {
    out.set(d.subarray(12, HLC_BYTES), at);
    at += DEVICE_BYTES;
  }
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.writeUInt8(r.kind, at);
    const length = out.write(r.field, at + 3, "utf8");
    out.writeUInt16BE(length, at + 1);
    at += 3 + length;
    out.set(r.hlc.subarray(0, 12), at);
    at = out.writeUInt32BE(indexes[i]!, at + 12);
    at = out.writeUInt32BE(r.value.length, at);
    out.set(r.value, at);
    at += r.value.length;
  }
  return out;
}

/** Whether two HLCs name the same device (their last 32 bytes). */
function sameDevice(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = HLC_BYTES - 1; i >= HLC_BYTES - DEVICE_BYTES; i--) if (a[i] !== b[i]) return false;
  return true;
}

function deviceKey(hlc: Uint8Array): string {
  return Buffer.from(hlc.buffer, hlc.byteOffset + HLC_BYTES - DEVICE_BYTES, DEVICE_BYTES).toString("latin1");
}

/** The rows back, or undefined if the bytes are not a state this code wrote. */
export function decodeState(b: Buffer): OpRow[] | undefined {
  if (b.length < 4) return undefined;
  const devices = b.readUInt32BE(0);
  const first = 4 + devices * DEVICE_BYTES;
  if (first > b.length) return undefined;
  // First the row bounds alone, so one buffer holds every HLC: a listing decodes thousands of states.
  const starts: number[] = [];
  for (let at = first; at < b.length; ) {
    if (at + ROW_FIXED > b.length) return undefined;
    const fieldLength = b.readUInt16BE(at + 1);
    const valueAt = at + ROW_FIXED + fieldLength;
    if (valueAt > b.length || b.readUInt32BE(valueAt - 8) >= devices) return undefined;
    const end = valueAt + b.readUInt32BE(valueAt - 4);
    if (end > b.length) return undefined;
    starts.push(at);
    at = end;
  }
  const hlcs = Buffer.allocUnsafe(starts.length * HLC_BYTES);
  return starts.map((at, i) => {
    const fieldLength = b.readUInt16BE(at + 1);
    const clock = at + 3 + fieldLength;
    const device = b.readUInt32BE(clock + 12);
    const hlc = hlcs.subarray(i * HLC_BYTES, (i + 1) * HLC_BYTES);
    b.copy(hlc, 0, clock, clock + 12);
    b.copy(hlc, 12, 4 + device * DEVICE_BYTES, 4 + (device + 1) * DEVICE_BYTES);
    const length = b.readUInt32BE(clock + 16);
    return { kind: b.readUInt8(at), field: b.toString("utf8", at + 3, clock), hlc, value: b.subarray(clock + 20, clock + 20 + length) };
  });
}
