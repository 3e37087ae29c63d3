/**
 * Two organizations, three people each, in one shared space (docs/spaces.md, "Shared spaces
 * between organizations"), plus their own teams, through the real CLI and one stick passed round:
 * Nadia (NGO) creates the space and seats Sam as the newsroom's first admin; each organization
 * admits its own people; the shared space's notes reach all six, each team's stay inside it; Nadia
 * can neither remove a newsroom member nor change the space's policy alone (it waits until the
 * newsroom approves); Pat, in the NGO's team and in the shared space, is linked by no key.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempRoot } from "../../offline-signer/test-support/vaults.js";
import { airlockMany, airlockSteps, type Json, type Step } from "./support/cli.js";

const t = tempRoot("airlock-shared-space-e2e-");
afterAll(() => t.cleanup());
const home = (n: string): string => join(t.root, n);
const req = (n: string): string => join(t.root, `${n}.airlock-join`);
const S = join(t.root, "stick");
mkdirSync(S);
const INV = ["--space", "Investigation"];

const titles = (j: Json): string[] => (j["notes"] as { title: string }[]).map((n) => n.title).sort();
const importAll = (who: readonly string[]): Step[] => who.map((w) => ({ home: home(w), args: ["import", S] }));

describe("a space shared by two organizations", () => {
  it("lets each organization govern its own people, and neither take the space over", () => {
    const [nadia, pat, quinn, sam, tara, uma] = ["nadia", "pat", "quinn", "sam", "tara", "uma"].map(home) as [string, string, string, string, string, string];
    const made = airlockMany([
      { home: nadia, args: ["init", "--team", "NGO", "--name", "nadia"] },
      { home: sam, args: ["init", "--team", "Newsroom", "--name", "sam"] },
      { home: nadia, args: ["spaces", "create", "Investigation", "--org", "NGO", "--org", "Newsroom"] },
      { home: pat, args: ["join", "--name", "pat", "--out", req("pat-ngo")] },
      { home: pat, args: ["spaces", "join", "Investigation", "--out", req("pat-inv")] },
      { home: quinn, args: ["join", "--name", "quinn", "--out", req("quinn")] },
      { home: sam, args: ["spaces", "join", "Investigation", "--out", req("sam-inv")] },
      { home: tara, args: ["join", "--name", "tara", "--out", req("tara")] },
      { home: uma, args: ["join", "--name", "uma", "--out", req("uma")] },
    ]);
    expect(made[2]!["orgs"]).toEqual(["NGO", "Newsroom"]);
    const fp = (i: number): string => made[i]!["fingerprint"] as string;
    // Nadia admits the NGO's people into her team and the space, and seats Sam for the newsroom.
    const seated = airlockMany([
      { home: nadia, args: ["members", "add", req("pat-ngo"), "--role", "editor", "--fingerprint", fp(3)] },
      { home: nadia, args: ["members", "add", req("pat-inv"), "--role", "editor", "--fingerprint", fp(4), ...INV] },
      { home: nadia, args: ["members", "add", req("quinn"), "--role", "viewer", "--fingerprint", fp(5), ...INV] },
      { home: nadia, args: ["members", "add", req("sam-inv"), "--org", "newsroom", "--role", "admin", "--fingerprint", fp(6), ...INV] },
      // Sam is seated: from now on only the newsroom's admins add its members. (--org by number: 1 is the newsroom.)
      { home: nadia, args: ["members", "add", req("tara"), "--org", "1", "--role", "editor", "--fingerprint", fp(7), ...INV], status: 1 },
      { home: nadia, args: ["export", "--usb", S] },
    ]);
    expect(seated[3]!["org"]).toBe("Newsroom");
    expect(seated[4]!["error"]).toMatchObject({ code: "VAULT_NOT_ALLOWED", message: expect.stringContaining('"Newsroom" has admins of its own') });
    airlockMany([
      ...importAll(["pat", "quinn", "sam"]),
      { home: sam, args: ["members", "add", req("tara"), "--role", "editor", "--fingerprint", fp(7), ...INV] },
      { home: sam, args: ["members", "add", req("uma"), "--role", "viewer", "--fingerprint", fp(8), ...INV] },
      { home: sam, args: ["export", "--usb", S] },
      ...importAll(["tara", "uma", "nadia", "pat", "quinn"]),
      // Every vault answers once, so each knows the others have the team.
      ...["pat", "quinn", "tara", "uma"].map((w) => ({ home: home(w), args: ["export", "--usb", S] })),
      ...importAll(["nadia", "sam"]),
    ]);
    // Notes: the shared space's reach both organizations; each team's stay inside it.
    airlockMany([
      { home: sam, args: ["notes", "add", "--title", "shared lead", "--body", "for both", ...INV] },
      { home: nadia, args: ["notes", "add", "--title", "ngo internal", "--body", "NGO only"] },
      { home: sam, args: ["notes", "add", "--title", "newsroom internal", "--body", "newsroom only"] },
      { home: sam, args: ["export", "--usb", S] },
      { home: nadia, args: ["export", "--usb", S] },
      ...importAll(["nadia", "pat", "quinn", "tara", "uma"]),
    ]);
    const seen = airlockMany([
      { home: quinn, args: ["notes", "list"] },
      { home: uma, args: ["notes", "list"] },
      { home: pat, args: ["notes", "list"] },
      { home: pat, args: ["notes", "list", ...INV] },
      { home: nadia, args: ["notes", "list", ...INV] },
    ]).map(titles);
    expect(seen).toEqual([["shared lead"], ["shared lead"], ["ngo internal"], ["shared lead"], ["shared lead"]]);

    // One process for the checks that are not about the process (cli-batch). The roster by
    // organization; a joiner sees who their organization's admins are (the check against a puppet
    // seat); Nadia cannot remove a newsroom member; her policy change is space-level and waits.
    const [members, tarasView, removal, policy, approvals, before] = airlockSteps([
      { home: sam, args: ["members", "list", ...INV] },
      { home: tara, args: ["status"], json: false },
      { home: nadia, args: ["members", "remove", "tara", ...INV] },
      { home: nadia, args: ["collections", "policy", "notes", "--read", "editor", "--write", "editor", ...INV] },
      { home: nadia, args: ["approvals", "list", ...INV] },
      { home: tara, args: ["collections", "list"] },
    ]);
    const byName = new Map((JSON.parse(members!.stdout)["members"] as { name: string; org: string; role: string }[]).map((m) => [m.name, `${m.org}/${m.role}`]));
    expect(Object.fromEntries(byName)).toEqual({ nadia: "NGO/owner", pat: "NGO/editor", quinn: "NGO/viewer", sam: "Newsroom/admin", tara: "Newsroom/editor", uma: "Newsroom/viewer" });
    expect(tarasView!.stdout).toMatch(/Organizations \(a shared space\)\n.*NGO.*admins: nadia\n.*Newsroom.*admins: sam/);
    expect(removal!.status).toBe(1);
    expect(JSON.parse(removal!.stdout)).toMatchObject({ ok: false, error: { code: "VAULT_NOT_ALLOWED", message: expect.stringMatching(/only in their own organization \("NGO"\); this member is in "Newsroom"/) } });
    expect(JSON.parse(policy!.stdout)["pending"]).toBe(true);
    const waiting = JSON.parse(approvals!.stdout)["pending"] as { id: string; orgs?: { waiting: string[]; required: number } }[];
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.orgs).toMatchObject({ waiting: ["Newsroom"], required: 2 });
    expect(before!.stdout).toMatch(/"read":"viewer"/);

    const id = waiting[0]!.id.slice(0, 12);
    const [again, , , , , , , after, , , , , taraNotes, quinnNotes, leave, expel, added] = airlockMany([
      // Approving her own proposal again does nothing: it is the newsroom it waits for.
      { home: nadia, args: ["approvals", "approve", id, ...INV], status: 1 },
      { home: nadia, args: ["export", "--usb", S] },
      ...importAll(["sam"]),
      { home: sam, args: ["approvals", "approve", id, ...INV] },
      { home: sam, args: ["export", "--usb", S] },
      ...importAll(["nadia", "quinn"]),
      { home: nadia, args: ["collections", "list", ...INV] },
      // Quinn, a viewer, no longer gets the new key: the next shared note is not readable there.
      { home: sam, args: ["notes", "add", "--title", "editors only", "--body", "x", ...INV] },
      { home: sam, args: ["export", "--usb", S] },
      ...importAll(["quinn", "tara"]),
      { home: tara, args: ["notes", "list"] },
      { home: quinn, args: ["notes", "list"], status: 1 },
      // Nadia, the NGO's only admin there, cannot leave the space while Pat and Quinn remain.
      { home: nadia, args: ["spaces", "leave", "Investigation"], status: 1 },
      // Organizations after creation: one of two cannot expel the other; a third waits for the other's approval.
      { home: nadia, args: ["spaces", "orgs", "remove", "Newsroom", ...INV], status: 1 },
      { home: nadia, args: ["spaces", "orgs", "add", "Lawyers", ...INV] },
    ]);
    expect(again).toMatchObject({ ok: false, error: { code: "VAULT_BAD_ARGUMENT", message: expect.stringMatching(/waits for an admin of "Newsroom"/) } });
    expect((after!["collections"] as { id: string; read: string }[]).find((c) => c.id === "notes")?.read).toBe("editor");
    expect(titles(taraNotes!)).toContain("editors only");
    expect(quinnNotes).toMatchObject({ ok: false, error: { code: "VAULT_NOT_ALLOWED", message: expect.stringMatching(/read by editor and up, and you are a viewer/) } });
    expect(leave).toMatchObject({ ok: false, error: { code: "VAULT_NOT_ALLOWED", message: expect.stringMatching(/last admin or owner of "NGO" in space "Investigation"/) } });
    expect(expel).toMatchObject({ ok: false });
    expect(JSON.stringify(expel)).toMatch(/two organizations|other organizations/i);
    expect(added!["pending"]).toBe(true);

    // Pat's two spaces: no key of one appears in the other's request or bundles.
    const [ngoStatus, invStatus] = airlockMany([{ home: pat, args: ["status"] }, { home: pat, args: ["status", ...INV] }]);
    const keysOf = (j: Json): string[] => {
      const s = j["status"] as { me: { device: string }; members: { id: string; name: string }[] };
      return [s.me.device, s.members.find((m) => m.name === "pat")!.id];
    };
    const ngoKeys = keysOf(ngoStatus!);
    const invKeys = keysOf(invStatus!);
    const has = (file: string, hexes: readonly string[]): boolean => {
      const bytes = readFileSync(file);
      return hexes.some((h) => bytes.includes(Buffer.from(h, "hex")) || bytes.includes(Buffer.from(h)));
    };
    expect(has(req("pat-ngo"), invKeys)).toBe(false);
    expect(has(req("pat-inv"), ngoKeys)).toBe(false);
    expect(has(req("pat-inv"), invKeys)).toBe(true); // the check can find a key where one is
  });
});
