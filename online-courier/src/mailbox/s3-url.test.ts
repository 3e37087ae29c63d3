import { chmod, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAirlockError } from "@airlock/shared";
import { loadS3Credentials, parseS3Url, S3_CREDENTIALS_FILE } from "./s3-url.js";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isAirlockError(e) ? e.code : String(e);
  }
}

async function asyncError(p: Promise<unknown>): Promise<{ code: string | undefined; text: string }> {
  try {
    await p;
  } catch (e) {
    return { code: isAirlockError(e) ? e.code : undefined, text: `${(e as Error).message} ${(e as { hint?: string }).hint ?? ""}` };
  }
  throw new Error("expected a failure");
}

describe("parseS3Url", () => {
  it("parses the documented form, path-style, with a default region", () => {
    expect(parseS3Url("s3://airlock-team?endpoint=http://127.0.0.1:7480&region=default")).toEqual({
      endpoint: "http://127.0.0.1:7480",
      bucket: "airlock-team",
      region: "default",
    });
    expect(parseS3Url("s3://my.bucket/?endpoint=https%3A%2F%2Fs3.eu-central-1.amazonaws.com%2F")).toEqual({
      endpoint: "https://s3.eu-central-1.amazonaws.com",
      bucket: "my.bucket",
      region: "us-east-1",
    });
    expect(parseS3Url("s3://b-1?region=eu-west-3&endpoint=https://[::1]:9000").endpoint).toBe("https://[::1]:9000");
  });

  it("refuses nonsense with MAILBOX_BAD_URL", () => {
    const bad = [
      "",
      "s3:",
      "s3://",
      "s3://bucket",
      "dir:/tmp/x",
      "http://127.0.0.1:7480/bucket",
      "S3://bucket?endpoint=http://127.0.0.1:1",
      "s3://Bucket?endpoint=http://127.0.0.1:1",
      "s3://b?endpoint=http://127.0.0.1:1",
      "s3://bucket..x?endpoint=http://127.0.0.1:1",
      "s3://192.168.1.1?endpoint=http://127.0.0.1:1",
      "s3://bucket/prefix?endpoint=http://127.0.0.1:1",
      "s3://bucket?endpoint=http://127.0.0.1:1#frag",
      "s3://bucket?endpoint=ftp://127.0.0.1:1",
      "s3://bucket?endpoint=127.0.0.1:1",
      "s3://bucket?endpoint=http://127.0.0.1:1/path",
      "s3://bucket?endpoint=http://127.0.0.1:1&endpoint=http://127.0.0.1:2",
      "s3://bucket?endpoint=http://127.0.0.1:1&regoin=x",
      "s3://bucket?endpoint=http://127.0.0.1:1&region=",
      "s3://bucket?endpoint=http://127.0.0.1:1&region=a/b",
      "s3://bucket?endpoint=http://127.0.0.1:1 ",
      "s3://bucket?endpoint=http://127.0.0.1:1\n",
      `s3://bucket?endpoint=http://127.0.0.1:1&region=${"a".repeat(3000)}`,
    ];
    for (const url of bad) expect(codeOf(() => parseS3Url(url)), JSON.stringify(url)).toBe("MAILBOX_BAD_URL");
    expect(codeOf(() => parseS3Url(42 as unknown as string))).toBe("MAILBOX_BAD_URL");
  });

  it("refuses credentials in the URL without echoing them", () => {
    try {
      parseS3Url("s3://bucket?endpoint=http://AKID:TOPSECRET123@127.0.0.1:7480");
      expect.unreachable();
    } catch (e) {
      expect(isAirlockError(e, "MAILBOX_BAD_URL")).toBe(true);
      expect(`${(e as Error).message} ${(e as { hint?: string }).hint}`).not.toContain("TOPSECRET123");
    }
  });
});

describe("loadS3Credentials", () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), "airlock-s3-creds-"));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("prefers the environment, and refuses half a pair", async () => {
    expect(await loadS3Credentials({ home, env: { AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK" } })).toEqual({
      accessKeyId: "AK",
      secretAccessKey: "SK",
    });
    expect((await asyncError(loadS3Credentials({ home, env: { AWS_ACCESS_KEY_ID: "AK" } }))).code).toBe("MAILBOX_CREDENTIALS");
  });

  it("reads a 0600 JSON file from the courier home", async () => {
    const path = join(home, S3_CREDENTIALS_FILE);
    await writeFile(path, JSON.stringify({ accessKeyId: "AK", secretAccessKey: "SK/with+chars" }), { mode: 0o600 });
    expect(await loadS3Credentials({ home, env: {} })).toEqual({ accessKeyId: "AK", secretAccessKey: "SK/with+chars" });
  });

  it("refuses a missing, shared, linked or malformed file without echoing its content", async () => {
    const path = join(home, S3_CREDENTIALS_FILE);
    expect((await asyncError(loadS3Credentials({ home, env: {} }))).code).toBe("MAILBOX_CREDENTIALS");
    await writeFile(path, JSON.stringify({ accessKeyId: "AK", secretAccessKey: "SECRET1" }), { mode: 0o600 });
    await chmod(path, 0o644);
    expect((await asyncError(loadS3Credentials({ home, env: {} }))).text).toMatch(/chmod 600/);
    await rm(path);
    await writeFile(join(home, "elsewhere"), JSON.stringify({ accessKeyId: "AK", secretAccessKey: "SECRET1" }), { mode: 0o600 });
    await symlink(join(home, "elsewhere"), path);
    expect((await asyncError(loadS3Credentials({ home, env: {} }))).code).toBe("MAILBOX_CREDENTIALS");
    await rm(path);
    for (const content of ['{"accessKeyId": "AK", "secretAccessKey": "SECRET1"', '{"accessKeyId": "AK", "secretAccessKey": "SECRET1", "x": 1}', '{"accessKeyId": "AK", "secretAccessKey": "SECRET1 with space"}']) {
      await writeFile(path, content, { mode: 0o600 });
      const e = await asyncError(loadS3Credentials({ home, env: {} }));
      expect(e.code).toBe("MAILBOX_CREDENTIALS");
      expect(e.text).not.toContain("SECRET1");
      await rm(path);
    }
  });
});
