import { isAirlockError } from "@airlock/shared";
import { describe, expect, it } from "vitest";
import { checkItem, ITEM_LIMITS, tidyItem, type SecretItem } from "./item.js";
import { parseTotp } from "./totp.js";

const base: SecretItem = { title: "GitHub", username: "ana", password: "pw", urls: ["https://github.com"], tags: ["work"], fields: [] };

const badItem = (item: unknown, pattern: RegExp): void => {
  let caught: unknown;
  try {
    checkItem(item as SecretItem, 'item 1 "GitHub"');
  } catch (e) {
    caught = e;
  }
  expect(isAirlockError(caught, "SECRETS_BAD_ITEM"), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(/^item 1 "GitHub": /);
  expect((caught as Error).message).toMatch(pattern);
};

describe("checkItem", () => {
  it("accepts a full item at every limit", () => {
    const item: SecretItem = {
      title: "t".repeat(ITEM_LIMITS.title),
      username: "u".repeat(ITEM_LIMITS.username),
      password: "p\n".repeat(ITEM_LIMITS.password / 2),
      notes: "n\t\r\n".repeat(ITEM_LIMITS.notes / 4),
      totp: parseTotp("JBSWY3DPEHPK3PXP", { label: "GitHub" }),
      urls: Array.from({ length: ITEM_LIMITS.urls }, (_, i) => `https://e${i}.example/${"x".repeat(2000)}`),
      tags: Array.from({ length: ITEM_LIMITS.tags }, (_, i) => `${i}`.padEnd(ITEM_LIMITS.tag, "t")),
      fields: Array.from({ length: ITEM_LIMITS.fields }, (_, i) => ({ name: `f${i}`, value: "v".repeat(16_000), hidden: i % 2 === 0 })),
    };
    expect(checkItem(item, "item 1")).toBe(item);
  });

  it("names the field and never the value", () => {
    badItem({ ...base, title: "" }, /title is empty/);
    badItem({ ...base, title: "t".repeat(513) }, /title is longer than 512/);
    badItem({ ...base, title: "a\nb" }, /title holds the control character U\+000A/);
    badItem({ ...base, username: "a\u0000b" }, /username holds the control character U\+0000/);
    badItem({ ...base, password: "hunter2\u0000" }, /password holds the control character U\+0000/);
    badItem({ ...base, password: "hunter2\u001b[2J" }, /password holds/);
    badItem({ ...base, notes: "x\ud800y" }, /notes holds the control character U\+D800/);
    badItem({ ...base, password: "p".repeat(4097) }, /password is longer than 4096/);
    badItem({ ...base, notes: "n".repeat(64 * 1024 + 1) }, /notes is longer/);
    badItem({ ...base, urls: ["a", "a"] }, /repeat a URL/);
    badItem({ ...base, urls: [" "] }, /url 1 is empty/);
    badItem({ ...base, urls: Array.from({ length: 65 }, (_, i) => `u${i}`) }, /at most 64/);
    badItem({ ...base, urls: "https://x" }, /urls is not a list/);
    badItem({ ...base, tags: ["a\u2028b"] }, /tag 1 holds/);
    badItem({ ...base, tags: ["x", "x"] }, /repeat a tag/);
    badItem({ ...base, fields: [{ name: "a", value: "b", hidden: "yes" }] }, /hidden flag/);
    badItem({ ...base, fields: [{ name: "a", value: "b", hidden: true }, { name: "a", value: "b", hidden: true }] }, /repeats another/);
    badItem({ ...base, fields: [{ name: "a", value: '"'.repeat(9000), hidden: true }] }, /longer than 16384 characters when stored/);
    badItem({ ...base, totp: "JBSWY3DPEHPK3PXP" }, /totp is not in canonical form/);
    badItem({ ...base, totp: "steam://JBSWY3DPEHPK3PXP" }, /totp: Steam/);
    badItem({ ...base, title: 5 }, /title is not text/);
    try {
      checkItem({ ...base, password: "s3cret-value\u0000" }, "item 1");
    } catch (e) {
      expect((e as Error).message).not.toContain("s3cret");
    }
  });
});

describe("tidyItem", () => {
  it("drops empties and duplicates and finds a title", () => {
    expect(tidyItem({ title: " ", urls: ["https://mail.example.org/login", "https://mail.example.org/login", ""], username: "", tags: ["a", "a", " "] })).toEqual({
      title: "mail.example.org",
      urls: ["https://mail.example.org/login"],
      tags: ["a"],
      fields: [],
    });
    expect(tidyItem({ username: "ana" }).title).toBe("ana");
    expect(tidyItem({}).title).toBe("(untitled)");
    expect(tidyItem({ username: "u".repeat(1000) }).title).toHaveLength(512);
    expect(tidyItem({ fields: [{ name: "a", value: "b", hidden: false }, { name: "a", value: "b", hidden: false }] }).fields).toHaveLength(1);
  });
});
