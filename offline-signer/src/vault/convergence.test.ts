/**
 * Convergence: five vaults (alice with two devices, bob, carol, a viewer) make random edits to
 * notes, contacts (add-wins sets) and secrets, and membership changes, while bundles are delivered
 * in random order, duplicated, delayed and lost; bob runs an older release that knows only notes
 * until he upgrades before the final exchange. After it every active vault has the same digest.
 */
import fc from "fast-check";
import { runs } from "../../../vitest-properties.js";
import { describe, expect, it } from "vitest";
import { importInto, newVault, reopen, sync, tempRoot, TestClock } from "../../test-support/vaults.js";
import { APPS } from "../apps/registry.js";
import { stateDigest } from "./report.js";
import { exportBundles, type ExportedBundle } from "./sync.js";
import type { Vault } from "./vault.js";

const RECORDS = ["r1", "r2", "r3"];
const FIELDS = ["title", "body"];
const PHONES = ["cell\u001f+1 555 0100", "work\u001f+1 555 0101", "\u001f+1 555 0102"];
const NOTES_ONLY = APPS.filter((x) => x.schema.app === "notes");

type Action =
  | { t: "edit"; v: number; record: number; field: number; value: string }
  | { t: "delete"; v: number; record: number }
  | { t: "append"; v: number; record: number; value: string }
  | { t: "add-phone"; v: number; record: number; phone: number }
  | { t: "remove-phone"; v: number; record: number; phone: number }
  | { t: "secret"; v: number; record: number; value: string }
  | { t: "export"; v: number }
  | { t: "deliver"; to: number; pick: number[] }
  | { t: "demote-carol" }
  | { t: "remove-viewer" }
  | { t: "tick"; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("edit" as const), v: fc.nat(4), record: fc.nat(2), field: fc.nat(1), value: fc.string({ maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("delete" as const), v: fc.nat(4), record: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("append" as const), v: fc.nat(4), record: fc.nat(2), value: fc.string({ maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("add-phone" as const), v: fc.nat(4), record: fc.nat(2), phone: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("remove-phone" as const), v: fc.nat(4), record: fc.nat(2), phone: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("secret" as const), v: fc.nat(4), record: fc.nat(2), value: fc.string({ maxLength: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("export" as const), v: fc.nat(4) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("deliver" as const), to: fc.nat(4), pick: fc.array(fc.nat(1000), { maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: "demote-carol" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "remove-viewer" as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 5000 }) }) },
);

function tryWrite(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    // A vault may lack the right (viewer, demoted, removed) or the key yet: that is the point.
    if (!["VAULT_NOT_ALLOWED", "VAULT_NO_KEY", "VAULT_NO_TEAM", "VAULT_NOTHING_TO_EXPORT", "VAULT_NEWER_APP", "VAULT_BAD_ARGUMENT"].includes((e as { code?: string }).code ?? "")) throw e;
  }
}

describe("convergence", () => {
  it("every active vault reaches the same digest under any delivery", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), async (actions) => {
        const { root, cleanup } = tempRoot();
        const clock = new TestClock();
        const vaults: Vault[] = [];
        try {
          const a = await newVault(root, "a", clock);
          a.init("Team", "alice");
          const a2 = await newVault(root, "a2", clock);
          let b = await newVault(root, "b", clock);
          const c = await newVault(root, "c", clock);
          const v = await newVault(root, "v", clock);
          vaults.push(a, a2, b, c, v);
          a.addDevice(a2.joinRequest("alice").bytes);
          a.addMember(b.joinRequest("bob").bytes, "editor");
          a.addMember(c.joinRequest("carol").bytes, "editor");
          a.addMember(v.joinRequest("vera").bytes, "viewer");
          a.createCollection("people", "People", "viewer", "editor", "contacts");
          a.createCollection("passwords", "Passwords", "viewer", "editor", "secrets"); // every active vault reads all: one digest
          sync(a, a2, b, c, v);
          b = await reopen(b, clock, NOTES_ONLY); // an older release, upgraded before the end
          vaults[2] = b;
          const pool: ExportedBundle[] = [];
          for (const act of actions) {
            switch (act.t) {
              case "edit":
                tryWrite(() => vaults[act.v]!.write("notes", [{ kind: "set", record: RECORDS[act.record]!, field: FIELDS[act.field]!, value: act.value }]));
                break;
              case "delete":
                tryWrite(() => vaults[act.v]!.write("notes", [{ kind: "delete", record: RECORDS[act.record]! }]));
                break;
              case "append":
                tryWrite(() => vaults[act.v]!.write("notes", [{ kind: "append", record: RECORDS[act.record]!, field: "comments", value: act.value }]));
                break;
              case "add-phone":
                tryWrite(() => vaults[act.v]!.write("people", [{ kind: "add", record: RECORDS[act.record]!, field: "phones", value: PHONES[act.phone]! }]));
                break;
              case "remove-phone":
                tryWrite(() => vaults[act.v]!.write("people", [{ kind: "remove", record: RECORDS[act.record]!, field: "phones", value: PHONES[act.phone]! }]));
                break;
              case "secret":
                tryWrite(() => vaults[act.v]!.write("passwords", [{ kind: "set", record: RECORDS[act.record]!, field: "password", value: act.value }]));
                break;
              case "export":
                tryWrite(() => pool.push(...exportBundles(vaults[act.v]!)));
                break;
              case "deliver":
                if (pool.length > 0) importInto(vaults[act.to]!, act.pick.map((i) => pool[i % pool.length]!));
                break;
              case "demote-carol":
                tryWrite(() => [...a.state().users.values()].some((u) => u.name === "carol" && u.role === "editor") && a.setRole("carol", "viewer"));
                break;
              case "remove-viewer":
                tryWrite(() => [...a.state().users.values()].some((u) => u.name === "vera" && u.active) && a.removeMember("vera"));
                break;
              case "tick":
                clock.tick(act.ms);
                break;
            }
          }
          b = await reopen(b, clock);
          vaults[2] = b;
          // Full exchange: every vault sends everything to everyone until nothing changes.
          const active = (): Vault[] => vaults.filter((x) => a.state().devices.get(x.deviceId)?.active === true);
          for (let round = 0; round < 4; round++) {
            for (const from of vaults) {
              let bundles: ExportedBundle[] = [];
              tryWrite(() => (bundles = exportBundles(from)));
              for (const to of vaults) if (to !== from) importInto(to, bundles);
            }
          }
          const digests = active().map((x) => stateDigest(x));
          if (new Set(digests).size !== 1 && process.env["AIRLOCK_PROPERTY_DEBUG"] !== undefined) {
            for (const x of active()) {
              console.log(x.myName, stateDigest(x).slice(0, 8), JSON.stringify(x.store.connection().prepare("SELECT seq, status, reason FROM changesets ORDER BY device, seq").all()));
              for (const col of ["notes", "people", "passwords"]) console.log("  ", col, JSON.stringify(x.records(col).map((r) => [r.id, r.fields, r.lists, r.sets])));
            }
          }
          expect(new Set(digests).size).toBe(1);
          for (const x of active()) {
            expect(x.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status = 'waiting'").get()).toEqual({ n: 0 });
            expect(x.store.connection().prepare("SELECT count(*) AS n FROM changesets WHERE status = 'locked' AND reason LIKE 'needs a newer%'").get()).toEqual({ n: 0 });
          }
        } finally {
          for (const x of vaults) x.close();
          cleanup();
        }
      }),
      { numRuns: Number(process.env["AIRLOCK_PROPERTY_RUNS"] ?? runs(12)) },
    );
  });
});
