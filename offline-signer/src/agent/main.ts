/**
 * The unlock agent as its own process, started detached by `airlock unlock` (client.ts):
 *
 *   node main.js HOME SOCKET DIR SALT_HEX IDLE_MS      the 32-byte key arrives on stdin
 *
 * It prints "ready" on stdout once it listens (or "error CODE MESSAGE" and exits 1), closes
 * stdout, and from then on writes nothing anywhere. Only the key is secret; the arguments name
 * a path, a salt (stored in clear in vault.json) and a duration.
 */
import { AirlockError } from "@airlock/shared";
import { KEY_BYTES, SALT_BYTES } from "./protocol.js";
import { runAgent } from "./server.js";

process.title = "airlock-agent";

function readKey(): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const key = new Uint8Array(KEY_BYTES);
    let at = 0;
    const onData = (chunk: Buffer): void => {
      const n = Math.min(KEY_BYTES - at, chunk.length);
      key.set(chunk.subarray(0, n), at);
      at += n;
      const extra = chunk.length > n;
      chunk.fill(0);
      if (extra) fail(new AirlockError("AGENT_BAD_START", "more than a key on stdin"));
    };
    const fail = (e: Error): void => {
      key.fill(0);
      process.stdin.off("data", onData);
      reject(e);
    };
    process.stdin.on("data", onData);
    process.stdin.once("end", () => {
      process.stdin.off("data", onData);
      if (at === KEY_BYTES) resolve(key);
      else fail(new AirlockError("AGENT_BAD_START", `${at} bytes on stdin, not a ${KEY_BYTES}-byte key`));
    });
  });
}

async function main(): Promise<void> {
  const [home, socket, dir, saltHex, idle] = process.argv.slice(2);
  const idleMs = Number(idle);
  if (home === undefined || socket === undefined || dir === undefined || saltHex === undefined || !/^[0-9a-f]+$/.test(saltHex) || saltHex.length !== 2 * SALT_BYTES || !Number.isSafeInteger(idleMs) || idleMs <= 0) {
    throw new AirlockError("AGENT_BAD_START", "usage: main.js HOME SOCKET DIR SALT_HEX IDLE_MS (key on stdin)");
  }
  const key = await readKey();
  process.stdin.destroy();
  await runAgent({ home, socket, dir, salt: new Uint8Array(Buffer.from(saltHex, "hex")), idleMs, key }, () => {
    process.stdout.end("ready\n");
  });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    const code = e instanceof AirlockError ? e.code : "AGENT_FAILED";
    // Only our own messages go out (they name paths, never the key); anything else by its code.
    const message = e instanceof AirlockError ? e.message : "the agent could not start";
    process.stdout.end(`error ${code} ${message.replace(/\s+/g, " ")}\n`, () => process.exit(1));
  },
);
