/**
 * Measures Argon2id (as the vault runs it: @noble/hashes argon2idAsync, one lane) on this
 * machine, to choose or re-check ARGON2ID_PARAMS (target: about 1 s to open a vault).
 * Not a test; run by hand after `npx tsc -b`:
 *
 *   node offline-signer/dist/src/store/measure-kdf.js
 */
import { randomBytes } from "node:crypto";
import { argon2idAsync } from "@noble/hashes/argon2.js";
import { ARGON2ID_PARAMS, TEST_INSECURE_PARAMS } from "./params.js";

const candidates: { m: number; t: number; p: number; note: string }[] = [
  { ...TEST_INSECURE_PARAMS, note: "test-insecure (tests only)" },
  { m: 19456, t: 2, p: 1, note: "OWASP minimum" },
  { ...ARGON2ID_PARAMS, note: "CHOSEN" },
  { m: 65536, t: 3, p: 1, note: "RFC 9106 second recommendation with p=1" },
  { m: 131072, t: 1, p: 1, note: "" },
  { m: 131072, t: 2, p: 1, note: "" },
];

const RUNS = 3;
for (const c of candidates) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await argon2idAsync(randomBytes(16), randomBytes(16), { m: c.m, t: c.t, p: c.p, dkLen: 32 });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(RUNS / 2)] as number;
  console.log(
    `m=${String(c.m).padStart(6)} KiB (${(c.m / 1024).toFixed(0).padStart(3)} MiB) t=${c.t} p=${c.p}: median ${median.toFixed(0).padStart(5)} ms (min ${(times[0] as number).toFixed(0)}, max ${(times[RUNS - 1] as number).toFixed(0)})  ${c.note}`,
  );
}
