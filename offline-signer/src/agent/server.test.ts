/**
 * Two agents and one socket path (a second `unlock` racing the first, an agent outliving its
 * socket): neither may unlink the other's socket, or a key stays in memory that no `lock` reaches.
 */
import { existsSync, mkdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempRoot } from "../../test-support/vaults.js";
import { Agent } from "./server.js";

const { root, cleanup } = tempRoot("airlock-agent-server-");
afterAll(cleanup);

function agentAt(dir: string): Agent {
  return new Agent({ home: "/vault", salt: new Uint8Array(16), socket: join(dir, "agent.sock"), dir, idleMs: 60_000, key: new Uint8Array(32).fill(7) });
}

describe("an agent's socket", () => {
  it("is not taken over while another agent answers on it", async () => {
    const dir = join(root, "live");
    mkdirSync(dir, { mode: 0o700 });
    const first = agentAt(dir);
    await first.listen();
    const second = agentAt(dir);
    await expect(second.listen()).rejects.toMatchObject({ code: "AGENT_RUNNING" });
    expect(existsSync(join(dir, "agent.sock"))).toBe(true);
    first.stop("locked");
    await first.stopped;
    expect(existsSync(join(dir, "agent.sock"))).toBe(false);
  });

  it("is removed on stop only if it is still the one this agent made", async () => {
    const dir = join(root, "replaced");
    mkdirSync(dir, { mode: 0o700 });
    const old = agentAt(dir);
    await old.listen();
    unlinkSync(join(dir, "agent.sock")); // e.g. a runtime folder cleared at logout
    const next = agentAt(dir);
    await next.listen();
    old.stop("idle");
    await old.stopped;
    expect(existsSync(join(dir, "agent.sock"))).toBe(true); // still the next agent's
    next.stop("locked");
    await next.stopped;
    expect(existsSync(join(dir, "agent.sock"))).toBe(false);
  });
});
