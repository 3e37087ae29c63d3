/**
 * The HTTP mailbox's bearer-token check at the edges the mutation run (`npm run mutate --
 * http-auth`, docs/testing.md, "Mutation testing") found unguarded: the header's exact form,
 * and a token remembered from an earlier request once the clock has left its window in either
 * direction; and what the remembered tokens save: a courier's repeated requests skip the MACs,
 * a prober's never do. A real server on 127.0.0.1 with an injected clock.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startHttpMailboxFixture, TEST_NOW, type HttpMailboxFixture } from "../../test-support/http-mailbox.js";
import { httpMailboxCredentials } from "./http.js";

const DAY = 86_400_000;

function status(url: string, path: string, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: "GET", headers: { Authorization: authorization } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("http mailbox bearer tokens", () => {
  let fixture: HttpMailboxFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it("takes exactly `Bearer <64 hex>`: nothing before it, nothing after it", async () => {
    fixture = await startHttpMailboxFixture();
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const url = fixture.server.url;
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}`)).toBe(200);
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}x`)).toBe(401);
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}0`)).toBe(401);
    expect(await status(url, `/v1/${namespace}`, `xBearer ${token}`)).toBe(401);
    expect(await status(url, `/v1/${namespace}`, `Basic Bearer ${token}`)).toBe(401);
  });

  it("a token that opened its namespace is refused once the clock goes back past its window", async () => {
    let now = TEST_NOW;
    fixture = await startHttpMailboxFixture({ now: () => now });
    // Tomorrow's namespace, opened today (the window reaches one epoch ahead).
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch + 1);
    const url = fixture.server.url;
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}`)).toBe(200);
    now -= DAY; // now two epochs ahead of the clock
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}`)).toBe(401);
    now += DAY;
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}`)).toBe(200);
  });

  it("a token that opened its namespace is refused once the clock passes the window's oldest epoch", async () => {
    let now = TEST_NOW;
    fixture = await startHttpMailboxFixture({ now: () => now });
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch - 14);
    const url = fixture.server.url;
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}`)).toBe(200);
    now += DAY;
    expect(await status(url, `/v1/${namespace}`, `Bearer ${token}`)).toBe(401);
  });

  it("a token that opened its namespace is not checked again; a refused or missing one is checked in full every time", async () => {
    fixture = await startHttpMailboxFixture();
    const checks = vi.spyOn(fixture.serverKey, "verifyToken");
    const { namespace, token } = httpMailboxCredentials(fixture.team, fixture.epoch);
    const url = fixture.server.url;
    const wrong = "0".repeat(64);
    for (let i = 0; i < 2; i++) expect(await status(url, `/v1/${namespace}`, `Bearer ${wrong}`)).toBe(401);
    expect(checks).toHaveBeenCalledTimes(2);
    for (let i = 0; i < 2; i++) expect(await status(url, `/v1/${namespace}`, "Bearer")).toBe(401);
    expect(checks).toHaveBeenCalledTimes(4);
    for (let i = 0; i < 3; i++) expect(await status(url, `/v1/${namespace}`, `Bearer ${token}`)).toBe(200);
    expect(checks).toHaveBeenCalledTimes(5);
    // The same token on another namespace is not remembered for it.
    expect(await status(url, `/v1/${"f".repeat(32)}`, `Bearer ${token}`)).toBe(401);
    expect(checks).toHaveBeenCalledTimes(6);
  });
});
