/**
 * The bytes the store keeps per record to fold later ops into (`records.state`, docs/vault-store.md):
 * the rows of `foldState`, so an import touching a record reads one row of its own, not its
 * whole history. Written and read only by this vault, inside its encrypted file; a row that does
 * not parse is refolded from the ops (the ops table stays the source of truth).
 *
 *   u16 devices, devices × 32-byte device id;
 *   per row: u8 kind, u16 field length, field (UTF-8), u64 wall, u32 counter, u16 device index,
 *            u32 value length, value (encodeValue bytes).
 */
import { HLC_BYTES } from "../records/hlc.js";
import type { OpRow } from "../apps/fold.js";

const DEVICE_BYTES = HLC_BYTES - 12;
const MAX_DEVICES = 0xffff;

export function encodeState(rows: readonly OpRow[]): Buffer | undefined {
  const devices = new Map<string, number>();
  const deviceIds: Uint8Array[] = [];
  let size = 2;
  const fields: Buffer[] = [];
  const indexes: number[] = [];
  let last: Uint8Array | undefined;
  let lastIndex = 0;
  for (const r of rows) {
    const device = r.hlc.subarray(12);
    // Most records are written by one or two devices: skip the map for a repeat.
    if (last === undefined || Buffer.compare(device, last) !== 0) {
      const key = Buffer.from(device.buffer, device.byteOffset, device.length).toString("latin1");
      let index = devices.get(key);
      if (index === undefined) {
        if (deviceIds.length === MAX_DEVICES) return undefined;
        devices.set(key, (index = deviceIds.length));
        deviceIds.push(device);
        size += DEVICE_BYTES;
      }
      last = device;
      lastIndex = index;
    }
    indexes.push(lastIndex);
    const field = Buffer.from(r.field, "utf8");
    fields.push(field);
    size += 1 + 2 + field.length + 8 + 4 + 2 + 4 + r.value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt16BE(deviceIds.length, 0);
  for (const d of deviceIds) {
    out.set(d, at);
    at += DEVICE_BYTES;
  }
  rows.forEach((r, i) => {
    at = out.writeUInt8(r.kind, at);
    at = out.writeUInt16BE(fields[i]!.length, at);
    at += fields[i]!.copy(out, at);
    out.set(r.hlc.subarray(0, 12), at);
    at += 12;
    at = out.writeUInt16BE(indexes[i]!, at);
    at = out.writeUInt32BE(r.value.length, at);
    out.set(r.value, at);
    at += r.value.length;
  });
  return out;
}

/** The rows back, or undefined if the bytes are not a state this code wrote. */
export function decodeState(b: Buffer): OpRow[] | undefined {
  try {
    const devices = b.readUInt16BE(0);
    let at = 2 + devices * DEVICE_BYTES;
    if (at > b.length) return undefined;
    const rows: OpRow[] = [];
    // One allocation for every row's HLC: a listing decodes thousands of states.
    let hlcs = Buffer.allocUnsafe(0);
    let used = 0;
    while (at < b.length) {
      const kind = b.readUInt8(at);
      const fieldLength = b.readUInt16BE(at + 1);
      const field = b.toString("utf8", at + 3, at + 3 + fieldLength);
      at += 3 + fieldLength;
      const device = b.readUInt16BE(at + 12);
      if (device >= devices) return undefined;
      if (used + HLC_BYTES > hlcs.length) {
        // Each row is at least 18 bytes beyond its field: this bounds the rows still to come.
        hlcs = Buffer.allocUnsafe(HLC_BYTES * Math.max(1, Math.ceil((b.length - at) / 18)));
        used = 0;
      }
      const hlc = hlcs.subarray(used, used + HLC_BYTES);
      used += HLC_BYTES;
      b.copy(hlc, 0, at, at + 12);
      b.copy(hlc, 12, 2 + device * DEVICE_BYTES, 2 + (device + 1) * DEVICE_BYTES);
      const length = b.readUInt32BE(at + 14);
      at += 18;
      if (at + length > b.length) return undefined;
      rows.push({ kind, field, hlc, value: b.subarray(at, at + length) });
      at += length;
    }
    return rows;
  } catch {
    return undefined; // a read past the end: not ours
  }
}
