/** qrCapacity, asked of qrcode itself, against ISO/IEC 18004 table 7. */
import { describe, expect, it } from "vitest";
import { isAirlockError } from "../errors.js";
import { qrCapacity } from "./capacity.js";
import { encodeQrMatrix } from "./symbol.js";
import { QR_LEVELS, type QrErrorCorrection, type QrMode } from "./types.js";

// ISO/IEC 18004:2015 table 7 (data capacity), columns L M Q H.
const ISO: Record<QrMode, Record<number, readonly number[]>> = {
  byte: { 1: [17, 14, 11, 7], 10: [271, 213, 151, 119], 15: [520, 412, 292, 220], 20: [858, 666, 482, 382], 25: [1273, 997, 715, 535], 30: [1732, 1370, 982, 742], 40: [2953, 2331, 1663, 1273] },
  alphanumeric: { 1: [25, 20, 16, 10], 10: [395, 311, 221, 174], 15: [758, 600, 426, 321], 20: [1249, 970, 702, 557], 25: [1853, 1451, 1041, 779], 30: [2520, 1994, 1429, 1080], 40: [4296, 3391, 2420, 1852] },
};

describe("qrCapacity", () => {
  for (const mode of ["byte", "alphanumeric"] as const) {
    for (const [version, row] of Object.entries(ISO[mode])) {
      it(`${mode} mode, version ${version}: ${row.join(" / ")} (L/M/Q/H) as ISO 18004 table 7`, () => {
        expect(QR_LEVELS.map((level) => qrCapacity(Number(version), level, mode))).toEqual(row);
      });
    }
  }

  it("the capacity is the real limit: one more byte is QR_TOO_DENSE, exactly the capacity encodes", () => {
    const capacity = qrCapacity(10, "M", "byte");
    expect(encodeQrMatrix(new Uint8Array(capacity), { version: 10, level: "M" }).size).toBe(57);
    expect(() => encodeQrMatrix(new Uint8Array(capacity + 1), { version: 10, level: "M" })).toThrow(
      expect.objectContaining({ code: "QR_TOO_DENSE" }),
    );
    const text = qrCapacity(10, "M", "alphanumeric");
    expect(encodeQrMatrix("A".repeat(text), { version: 10, level: "M" }).size).toBe(57);
    expect(() => encodeQrMatrix("A".repeat(text + 1), { version: 10, level: "M" })).toThrow(expect.objectContaining({ code: "QR_TOO_DENSE" }));
  });

  it("refuses versions and levels that do not exist", () => {
    for (const version of [0, 41, 10.5, Number.NaN]) {
      expect(() => qrCapacity(version, "M", "byte")).toThrow(expect.objectContaining({ code: "QR_BAD_VERSION" }));
    }
    try {
      qrCapacity(10, "X" as QrErrorCorrection, "byte");
      expect.unreachable();
    } catch (e) {
      expect(isAirlockError(e, "QR_BAD_LEVEL")).toBe(true);
    }
  });
});
