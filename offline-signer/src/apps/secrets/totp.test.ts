import { isAirlockError } from "@airlock/shared";
import { describe, expect, it } from "vitest";
import { decodeTotp, parseTotp, totpCode, totpFromParts } from "./totp.js";

const b32 = (ascii: string): string => {
  // RFC 4648 base32 of an ASCII seed, written out here so the vectors do not lean on the code under test.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of ascii) bits += ch.charCodeAt(0).toString(2).padStart(8, "0");
  while (bits.length % 5 !== 0) bits += "0";
  let out = "";
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return out;
};

// RFC 6238 Appendix B: seeds are the ASCII digits repeated to the hash's block of key length.
const SEED20 = "12345678901234567890";
const SEEDS = { SHA1: SEED20, SHA256: SEED20 + "123456789012", SHA512: SEED20.repeat(3) + "1234" } as const;
const VECTORS: readonly [number, string, string, string][] = [
  [59, "94287082", "46119246", "90693936"],
  [1111111109, "07081804", "68084774", "25091201"],
  [1111111111, "14050471", "67062674", "99943326"],
  [1234567890, "89005924", "91819424", "93441116"],
  [2000000000, "69279037", "90698825", "38618901"],
  [20000000000, "65353130", "77737706", "47863826"],
];

const badTotp = (input: string): void => {
  let caught: unknown;
  try {
    parseTotp(input);
  } catch (e) {
    caught = e;
  }
  expect(isAirlockError(caught, "SECRETS_BAD_TOTP"), `${input.slice(0, 80)} -> ${String(caught)}`).toBe(true);
};

describe("totpCode: RFC 6238 Appendix B", () => {
  for (const [i, algorithm] of (["SHA1", "SHA256", "SHA512"] as const).entries()) {
    it(`${algorithm}, 8 digits, all six times`, () => {
      const uri = parseTotp(`otpauth://totp/RFC6238?secret=${b32(SEEDS[algorithm])}&algorithm=${algorithm}&digits=8&period=30`);
      for (const v of VECTORS) {
        expect(totpCode(uri, v[0] * 1000).code, `T=${v[0]}`).toBe(v[i + 1]);
      }
    });
  }

  it("counts the seconds left in the step", () => {
    const uri = parseTotp(b32(SEED20));
    expect(totpCode(uri, 59_000).secondsLeft).toBe(1);
    expect(totpCode(uri, 60_000).secondsLeft).toBe(30);
    expect(totpCode(uri, 60_999).secondsLeft).toBe(30);
    expect(totpCode(uri, 61_000).secondsLeft).toBe(29);
    expect(() => totpCode(uri, -1)).toThrow(RangeError);
    expect(() => totpCode(uri, Number.NaN)).toThrow(RangeError);
  });
});

describe("parseTotp: canonical form", () => {
  it("turns a bare secret, spaced and lower case, into a full URI", () => {
    expect(parseTotp("jbsw y3dp ehpk 3pxp")).toBe("otpauth://totp/?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30");
    expect(parseTotp("JBSWY3DPEHPK3PXP====", { label: "GitHub: ana" })).toBe(
      "otpauth://totp/GitHub:%20ana?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30",
    );
  });

  it("keeps label and issuer, writes every parameter in one order, drops unknown ones", () => {
    const out = parseTotp("OTPAUTH://TOTP/ACME%20Co:john.doe%40email.com?period=60&image=https%3A%2F%2Fx&ISSUER=ACME%20Co&secret=jbswy3dpehpk3pxp&algorithm=sha256&digits=8");
    expect(out).toBe("otpauth://totp/ACME%20Co:john.doe%40email.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60");
    expect(decodeTotp(out)).toMatchObject({ label: "ACME Co:john.doe@email.com", issuer: "ACME Co", algorithm: "SHA256", digits: 8, period: 60 });
  });

  it("is idempotent, and accepts what KeePassXC writes", () => {
    const keepassxc = "otpauth://totp/My%20Site:ana?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&issuer=My%20Site";
    const once = parseTotp(keepassxc);
    expect(parseTotp(once)).toBe(once);
    expect(once).toBe("otpauth://totp/My%20Site:ana?secret=JBSWY3DPEHPK3PXP&issuer=My%20Site&algorithm=SHA1&digits=6&period=30");
  });

  it("re-encodes secrets with stray trailing bits to the same key", () => {
    // 26 characters carry 130 bits: the last 2 are padding, whatever they hold.
    const a = decodeTotp("ABCDEFGHIJKLMNOPQRSTUVWXYZ").secret;
    const b = decodeTotp("ABCDEFGHIJKLMNOPQRSTUVWXY2").secret;
    expect(a.length).toBe(16);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(parseTotp("ABCDEFGHIJKLMNOPQRSTUVWXY2")).toBe(parseTotp("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    expect(parseTotp(parseTotp("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))).toBe(parseTotp("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
  });

  it("builds the same URI from separate parts", () => {
    expect(totpFromParts({ secret: "JBSWY3DPEHPK3PXP", period: "30", digits: "6", label: "x" })).toBe(parseTotp("JBSWY3DPEHPK3PXP", { label: "x" }));
  });
});

describe("parseTotp: refused inputs are SECRETS_BAD_TOTP", () => {
  it("refuses Steam, HOTP and other schemes", () => {
    badTotp("steam://JBSWY3DPEHPK3PXP");
    badTotp("otpauth://totp/Steam:ana?secret=JBSWY3DPEHPK3PXP&issuer=Steam&encoder=steam");
    badTotp("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1");
    badTotp("otpauth://yotp/x?secret=JBSWY3DPEHPK3PXP");
    badTotp("https://example.com/?secret=JBSWY3DPEHPK3PXP");
  });

  it("refuses weak, malformed or oversized secrets", () => {
    badTotp("");
    badTotp("   ");
    badTotp("JBSWY3DPEHPK3PX"); // 15 chars: 75 bits, and a length no encoder writes
    badTotp("JBSWY3DPEHPK"); // 60 bits
    badTotp("JBSWY3DPEHPK3PX1"); // 1 is not base32
    badTotp("JBSWY3DP-EHPK3PXP");
    badTotp("A".repeat(400)); // 2000 bits
    badTotp("A".repeat(5000)); // longer than any input read
    badTotp("otpauth://totp/x?issuer=y");
    badTotp("otpauth://totp/x?secret=");
  });

  it("refuses parameters outside the supported range", () => {
    const s = "secret=JBSWY3DPEHPK3PXP";
    badTotp(`otpauth://totp/x?${s}&algorithm=MD5`);
    badTotp(`otpauth://totp/x?${s}&algorithm=SHA3-256`);
    badTotp(`otpauth://totp/x?${s}&digits=5`);
    badTotp(`otpauth://totp/x?${s}&digits=9`);
    badTotp(`otpauth://totp/x?${s}&digits=6.5`);
    badTotp(`otpauth://totp/x?${s}&digits=-6`);
    badTotp(`otpauth://totp/x?${s}&period=0`);
    badTotp(`otpauth://totp/x?${s}&period=301`);
    badTotp(`otpauth://totp/x?${s}&period=1e3`);
    badTotp(`otpauth://totp/x?${s}&period=`);
    badTotp(`otpauth://totp/x?${s}&secret=JBSWY3DPEHPK3PXP`);
  });

  it("refuses hostile labels and broken escapes", () => {
    const s = "?secret=JBSWY3DPEHPK3PXP";
    badTotp(`otpauth://totp/%E0%A4%A${s}`);
    badTotp(`otpauth://totp/a%00b${s}`);
    badTotp(`otpauth://totp/a%0Ab${s}`);
    badTotp(`otpauth://totp/a%1B%5B2Jb${s}`);
    badTotp(`otpauth://totp/${"x".repeat(300)}${s}`);
    badTotp(`otpauth://totp/x${s}&issuer=%ED%A0%80`);
    badTotp(`otpauth://totp/x${s}#fragment`);
    expect(() => parseTotp(42 as unknown as string)).toThrow(/not text/);
  });

  it("never puts the secret in a message", () => {
    const secret = "QWERTYUIOPASDFGH";
    for (const input of [`otpauth://totp/x?secret=${secret}&digits=12`, `steam://${secret}`, `${secret}1`]) {
      try {
        parseTotp(input);
        expect.unreachable();
      } catch (e) {
        expect((e as Error).message).not.toContain(secret);
      }
    }
  });
});
