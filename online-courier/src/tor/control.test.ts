/**
 * The control-port client and ADD_ONION against a real tor started with DisableNetwork 1: it
 * never contacts any network, yet authenticates, answers GETINFO and creates onion services
 * (which it cannot publish). Skipped only when tor is not installed.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAirlockError, TransportKey } from "@airlock/shared";
import { onionClientAuthKeys } from "./client-auth.js";
import { TorControl } from "./control.js";
import { findTor, launchTor, type TorProcess } from "./launch.js";
import { publishOnion } from "./onion.js";

const hasTor = findTor() !== undefined;
const suite = hasTor ? describe : describe.skip;
if (!hasTor) console.warn("tor control-port tests SKIPPED: `tor` is not installed (Debian: apt-get install tor)");

suite("tor control port (offline tor)", () => {
  let dir: string;
  let tor: TorProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "airlock-tor-control-"));
    tor = await launchTor({ dataDir: join(dir, "tor"), torrc: ["DisableNetwork 1", "SocksPort 0"] });
  }, 60_000);
  afterAll(async () => {
    await tor?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("authenticates with SAFECOOKIE and answers GETINFO", async () => {
    const control = await tor.openControl();
    try {
      expect(await control.getInfo("version")).toMatch(/^0\.\d+\.\d+/);
      expect(await tor.socksPort()).toBeUndefined();
    } finally {
      control.close();
    }
  });

  it("refuses a wrong cookie with TOR_CONTROL_AUTH", async () => {
    const fake = join(dir, "fake-cookie");
    await writeFile(fake, Buffer.alloc(32, 7));
    const error = await TorControl.open(tor.control, { cookieFile: fake }).catch((e: unknown) => e);
    expect(isAirlockError(error, "TOR_CONTROL_AUTH"), String(error)).toBe(true);
  });

  it("publishes an onion with client authorization, keeps it stable with its key, and removes it", async () => {
    const team = TransportKey.generate();
    const { publicKeyBase32 } = onionClientAuthKeys(team);
    const onion = await publishOnion({ control: tor.control, cookieFile: tor.cookieFile, targetPort: 12345, clientAuthPublicKeys: [publicKeyBase32] });
    expect(onion.address).toMatch(/^[a-z2-7]{56}\.onion$/);
    expect(onion.privateKey).toMatch(/^ED25519-V3:/);
    const control = await tor.openControl();
    try {
      // ADD_ONION services belong to their control connection: another connection does not list them as its own.
      expect(await control.getInfo("onions/current")).toBe("");
      await onion.remove();
      await onion.remove(); // idempotent
      const again = await publishOnion({
        control: tor.control,
        cookieFile: tor.cookieFile,
        targetPort: 12345,
        clientAuthPublicKeys: [publicKeyBase32],
        privateKey: onion.privateKey,
      });
      expect(again.address).toBe(onion.address);
      expect(again.privateKey).toBeUndefined();
      await again.remove();
    } finally {
      control.close();
      team.wipe();
    }
  });

  it("reports tor's refusal of a command as TOR_CONTROL_FAILED", async () => {
    const control = await tor.openControl();
    try {
      const error = await control.ok("ADD_ONION NEW:NOT-A-KEY-TYPE Port=80", "ADD_ONION").catch((e: unknown) => e);
      expect(isAirlockError(error, "TOR_CONTROL_FAILED"), String(error)).toBe(true);
      await expect(control.command("GETINFO version\r\nSIGNAL HALT")).rejects.toThrow(TypeError);
    } finally {
      control.close();
    }
  });

  it("refuses malformed options before talking to tor", async () => {
    await expect(publishOnion({ control: tor.control, targetPort: 0, clientAuthPublicKeys: ["A".repeat(52)] })).rejects.toThrow(RangeError);
    await expect(publishOnion({ control: tor.control, targetPort: 80, clientAuthPublicKeys: [] })).rejects.toThrow(/client authorization/);
    await expect(publishOnion({ control: tor.control, targetPort: 80, clientAuthPublicKeys: ["x\r\nSIGNAL HALT"] })).rejects.toThrow(/base32/);
  });
});

describe("tor control port, no tor", () => {
  it("reports a closed control port as TOR_CONTROL_UNREACHABLE", async () => {
    const error = await TorControl.open({ host: "127.0.0.1", port: 1 }).catch((e: unknown) => e);
    expect(isAirlockError(error, "TOR_CONTROL_UNREACHABLE")).toBe(true);
  });

  it("reports a missing tor binary as TOR_NOT_INSTALLED", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-no-tor-"));
    try {
      const error = await launchTor({ dataDir: join(dir, "d"), bin: "/nonexistent/tor" }).catch((e: unknown) => e);
      expect(isAirlockError(error, "TOR_NOT_INSTALLED"), String(error)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
