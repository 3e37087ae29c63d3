/** The record store keeps each record's fold state in step with its ops, across savepoints that fail (store/records.ts). */
import { describe, expect, it } from "vitest";
import { newVault, tempRoots, TestClock } from "../../test-support/vaults.js";
import { foldRecord, type OpRow } from "../apps/fold.js";
import type { Vault } from "../vault/vault.js";

const roots = tempRoots("airlock-records-");

/** The records the store keeps must be the full fold of the ops it holds. */
function expectInStep(v: Vault, collection: string): void {
  const ops = v.store.connection().prepare("SELECT record, field, kind, hlc, value FROM ops WHERE collection = ?").all(collection) as (OpRow & { record: string })[];
  const ids = [...new Set(ops.map((o) => o.record))];
  const full = ids.flatMap((id) => foldRecord(collection, id, ops.filter((o) => o.record === id)) ?? []);
  const plain = (r: { id: string; fields: unknown; lists: unknown; sets: unknown; updated: number }): string => JSON.stringify([r.id, r.fields, r.lists, r.sets, r.updated]);
  expect(v.records(collection).map(plain).sort()).toEqual(full.map(plain).sort());
}

describe("record store", () => {
  it("a failed inner transaction the caller survives leaves no trace of its ops in the records", async () => {
    const clock = new TestClock();
    const a = await newVault(roots(), "a", clock);
    a.init("Team", "alice");
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "kept" }]);
    clock.tick();
    a.tx(() => {
      a.write("notes", [{ kind: "set", record: "n2", field: "title", value: "also kept" }]);
      clock.tick();
      expect(() =>
        a.tx(() => {
          a.write("notes", [
            { kind: "set", record: "n1", field: "title", value: "rolled back" },
            { kind: "set", record: "n3", field: "title", value: "never stored" },
          ]);
          throw new Error("the inner step fails");
        }),
      ).toThrow("the inner step fails");
    });
    expect(a.records("notes").map((r) => [r.id, r.fields["title"]]).sort()).toEqual([
      ["n1", "kept"],
      ["n2", "also kept"],
    ]);
    expect(a.search("never", { limit: 5 })).toEqual([]);
    expectInStep(a, "notes");
    a.close();
  });

  it("a deleted record keeps its tombstone: an older write arriving later stays hidden, a newer one shows", async () => {
    const clock = new TestClock();
    const a = await newVault(roots(), "a", clock);
    a.init("Team", "alice");
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "first" }]);
    clock.tick();
    a.write("notes", [{ kind: "delete", record: "n1" }]);
    expect(a.records("notes")).toEqual([]);
    expect(a.recordStore.count("notes")).toBe(0);
    clock.tick();
    a.write("notes", [{ kind: "set", record: "n1", field: "title", value: "again" }]);
    expect(a.records("notes").map((r) => r.fields["title"])).toEqual(["again"]);
    expectInStep(a, "notes");
    a.close();
  });
});

describe("paged listing", () => {
  it("pages and positions agree with the full listing (newest first, ties by id), deleted records left out", async () => {
    const clock = new TestClock();
    const a = await newVault(roots(), "a", clock);
    a.init("Team", "alice");
    // Several records per write share an `updated` time: the order among them is by id.
    for (let w = 0; w < 9; w++) {
      a.write("notes", Array.from({ length: 7 }, (_, i) => ({ kind: "set" as const, record: `n${(w * 7 + i) * 37 % 101}`, field: "title", value: `t${w}.${i}` })));
      clock.tick();
    }
    a.write("notes", [{ kind: "delete", record: "n37" }, { kind: "set", record: "n0", field: "title", value: "edited, now newest" }]);
    const all = a.records("notes").map((r) => r.id);
    expect(all).toHaveLength(62);
    expect(all[0]).toBe("n0");
    expect(a.recordCount("notes")).toBe(all.length);
    for (const [offset, limit] of [[0, 10], [5, 7], [55, 10], [61, 1], [62, 5], [100, 3]] as const) {
      expect(a.recordsPage("notes", offset, limit).map((r) => r.id)).toEqual(all.slice(offset, offset + limit));
    }
    all.forEach((id, i) => expect(a.recordPosition("notes", id)).toBe(i));
    expect(a.recordPosition("notes", "n37")).toBeUndefined();
    expect(a.recordPosition("notes", "nope")).toBeUndefined();
    expect(a.recordsPage("nope", 0, 10)).toEqual([]);
    a.close();
  });
});
