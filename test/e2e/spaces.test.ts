/**
 * Spaces through the real CLI (docs/spaces.md): Pat is an editor in the NGO's team (the first
 * space of Pat's vault) and joins the newsroom's team as a second space of the same vault with
 * `airlock spaces join`. One stick carries both teams' bundles: `import` without --space offers
 * each bundle to every space, `export` writes every space; each team's data reaches only its own
 * members, and nothing in one space's bundles or join request names Pat's keys of the other
 * (byte-wise, raw and hex). Then `spaces leave` revokes Pat's newsroom device and deletes the space
 * after the export that carries the revocation.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempRoot } from "../../offline-signer/test-support/vaults.js";
import { airlock, airlockMany, airlockSteps, type Json } from "./support/cli.js";

const t = tempRoot("airlock-spaces-e2e-");
afterAll(() => t.cleanup());
const home = (n: string): string => join(t.root, n);
const stick = (n: string): string => {
  const dir = join(t.root, `stick-${n}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

interface Me {
  readonly device: string;
  readonly user: string;
}

function meOf(j: Json): Me {
  const s = j["status"] as { me: { device: string; id?: string; user?: string }; members: { id: string; name: string }[] };
  const user = s.members.find((m) => m.name === "pat")?.id;
  if (user === undefined) throw new Error("pat is not a member here");
  return { device: s.me.device, user };
}

/** Every occurrence of any needle (raw bytes or lower-case hex) in `files`. */
function mentions(files: readonly string[], needles: readonly string[]): string[] {
  const forms = needles.flatMap((h) => [Buffer.from(h, "hex"), Buffer.from(h, "latin1")]);
  return files.flatMap((f) => {
    const bytes = readFileSync(f);
    return forms.filter((n) => bytes.includes(n)).map((n) => `${f}: ${n.toString("hex").slice(0, 16)}`);
  });
}

const bundlePaths = (j: Json): string[] => (j["bundles"] as { path: string }[]).map((b) => b.path);
const titles = (j: Json): string[] => (j["notes"] as { title: string }[]).map((n) => n.title).sort();

describe("two teams in one vault as two spaces", () => {
  it("keeps each team's data inside it, links nothing, and leaves cleanly", () => {
    const [ngo, pat, news] = ["ngo", "pat", "news"].map(home) as [string, string, string];
    // NGO: Nadia's team, Pat joins it (Pat's first space). Newsroom: Sam's team.
    const joined = airlockMany([
      { home: ngo, args: ["init", "--team", "NGO", "--name", "nadia"] },
      { home: news, args: ["init", "--team", "Newsroom", "--name", "sam"] },
      { home: pat, args: ["join", "--name", "pat", "--out", join(t.root, "pat-ngo.airlock-join")] },
      { home: pat, args: ["spaces", "join", "Newsroom", "--out", join(t.root, "pat-news.airlock-join")] },
    ]);
    const fpNgo = joined[2]!["fingerprint"] as string;
    const fpNews = joined[3]!["fingerprint"] as string;
    expect(fpNews).not.toBe(fpNgo);
    const [w1, w2] = [stick("w1"), stick("w2")];
    airlockMany([
      { home: ngo, args: ["members", "add", join(t.root, "pat-ngo.airlock-join"), "--role", "editor", "--fingerprint", fpNgo] },
      { home: news, args: ["members", "add", join(t.root, "pat-news.airlock-join"), "--role", "editor", "--fingerprint", fpNews] },
      { home: ngo, args: ["export", "--usb", w1] },
      { home: news, args: ["export", "--usb", w2] },
    ]);
    // One import, two sticks: each welcome opens in its own space only.
    const imported = airlock(pat, ["import", w1, w2]);
    const perSpace = imported["spaces"] as { space: { name: string }; report: { welcomed?: unknown } }[];
    expect(perSpace.map((s) => s.space.name)).toEqual(["main", "Newsroom"]);
    expect(perSpace.every((s) => s.report.welcomed !== undefined)).toBe(true);

    const listed = airlock(pat, ["spaces", "list"])["spaces"] as { name: string; team: string; role: string; current: boolean }[];
    expect(listed.map((s) => [s.name, s.team, s.role, s.current])).toEqual([
      ["NGO", "NGO", "editor", true],
      ["Newsroom", "Newsroom", "editor", false],
    ]);

    // Pat writes in each space; the NGO is the default one.
    const out = stick("out");
    const [ngoMe, newsMe, , , exported] = airlockMany([
      { home: pat, args: ["status"] },
      { home: pat, args: ["status", "--space", "Newsroom"] },
      { home: pat, args: ["notes", "add", "--title", "ngo-only", "--body", "for the NGO"] },
      { home: pat, args: ["notes", "add", "--title", "newsroom-only", "--body", "for the newsroom", "--space", "newsroom"] },
      { home: pat, args: ["export", "--usb", out] },
    ]);
    const a = meOf(ngoMe!);
    const b = meOf(newsMe!);
    expect((newsMe!["space"] as { name: string; of: number }).of).toBe(2);
    const spaces = exported!["spaces"] as { space: { name: string }; bundles: { path: string }[] }[];
    expect(spaces.map((s) => s.space.name)).toEqual(["NGO", "Newsroom"]);
    const ngoFiles = [...bundlePaths(spaces[0] as unknown as Json), join(t.root, "pat-ngo.airlock-join")];
    const newsFiles = [...bundlePaths(spaces[1] as unknown as Json), join(t.root, "pat-news.airlock-join")];
    expect(ngoFiles.length).toBeGreaterThan(1);
    expect(newsFiles.length).toBeGreaterThan(1);
    // Unlinkable: no key of Pat's in one space appears in what the other space's bundles carry.
    expect(mentions(ngoFiles, [b.device, b.user])).toEqual([]);
    expect(mentions(newsFiles, [a.device, a.user])).toEqual([]);
    expect(a.device).not.toBe(b.device);
    expect(a.user).not.toBe(b.user);

    // Each team receives its own note and never the other's.
    const [, , ngoNotes, newsNotes] = airlockMany([
      { home: ngo, args: ["import", out] },
      { home: news, args: ["import", out] },
      { home: ngo, args: ["notes", "list"] },
      { home: news, args: ["notes", "list"] },
    ]);
    expect(titles(ngoNotes!)).toEqual(["ngo-only"]);
    expect(titles(newsNotes!)).toEqual(["newsroom-only"]);

    // One process for the checks below that are not about the process (cli-batch): each command
    // still opens and closes the vault itself. --space on a whole-vault command is a usage error;
    // an unknown space names the ones there are; the same request admitted into a second space
    // would carry one key into both; `first` always names the first space, and no space takes that name.
    const [refused, unknown, linked, self, firstStatus, firstName, listed2] = airlockSteps([
      { home: pat, args: ["passphrase", "change", "--space", "Newsroom"], json: false },
      { home: pat, args: ["status", "--space", "Elsewhere"], json: false },
      { home: pat, args: ["spaces", "create", "Own"] },
      { home: pat, args: ["members", "add", join(t.root, "pat-news.airlock-join"), "--role", "viewer", "--fingerprint", fpNews, "--space", "Own"] },
      { home: pat, args: ["status", "--space", "first"] },
      { home: pat, args: ["spaces", "create", "First"] },
      { home: pat, args: ["spaces", "list"] },
    ]).map((r) => ({ ...r, json: r.stdout.startsWith("{") ? (JSON.parse(r.stdout) as Json) : {} }));
    expect(refused!.status).toBe(2);
    expect(unknown!.status).toBe(1);
    expect(unknown!.stderr).toMatch(/no space named "Elsewhere"[\s\S]*"NGO", "Newsroom"/);
    expect(linked!.status).toBe(0);
    expect(self!.json).toMatchObject({ ok: false, error: { code: "SPACE_LINKED", message: expect.stringContaining('already in space "Newsroom"') } });
    expect((firstStatus!.json["space"] as { name: string }).name).toBe("NGO");
    expect(firstName!.json).toMatchObject({ ok: false, error: { code: "SPACE_EXISTS" } });

    // A damaged space (its folder gone) is named by `spaces list`, does not stop the others' import
    // and export (exit 3, a warning), and `leave --now` removes it without opening it.
    const own = (listed2!.json["spaces"] as { name: string; id: string }[]).find((x) => x.name === "Own")!;
    rmSync(join(pat, "spaces", own.id), { recursive: true });
    // A failure inside one space's export (here: its QR subfolder's name taken by a file) stops
    // only that space (review F5); QR subfolders are named by place, nothing of the space (F8).
    const qrOut = join(t.root, "qr-out");
    mkdirSync(qrOut);
    writeFileSync(join(qrOut, "space-1"), "not a folder");
    const [damaged, partial, partialImport, qrPartial, removed] = airlockSteps([
      { home: pat, args: ["spaces", "list"] },
      { home: pat, args: ["export", "--usb", stick("partial")] },
      { home: pat, args: ["import", out] },
      { home: pat, args: ["export", "--qr", qrOut] },
      { home: pat, args: ["spaces", "leave", "Own", "--now"] },
    ]);
    expect(qrPartial!.status).toBe(3);
    expect(qrPartial!.stderr).toMatch(/space "NGO" not exported/);
    expect((JSON.parse(qrPartial!.stdout)["spaces"] as { space: { name: string } }[]).map((x) => x.space.name)).toEqual(["Newsroom"]);
    expect(readdirSync(qrOut).sort()).toEqual(["space-1", "space-2"]);
    expect(readdirSync(join(qrOut, "space-2")).length).toBeGreaterThan(0);
    expect((JSON.parse(damaged!.stdout)["spaces"] as { name: string; state: string }[]).find((x) => x.name === "Own")?.state).toBe("damaged");
    expect(partial!.status).toBe(3);
    expect(partial!.stderr).toMatch(/space "Own" not exported: no database/);
    expect((JSON.parse(partial!.stdout)["spaces"] as { space: { name: string } }[]).map((x) => x.space.name)).toEqual(["NGO", "Newsroom"]);
    expect(partialImport!.status).toBe(3);
    expect(JSON.parse(removed!.stdout)["deleted"]).toBe(true);

    // Leaving: the next export first sends what the team lacks (an attached file too), then the
    // revocation, then the space is gone from the vault.
    const evidence = join(t.root, "evidence.bin");
    writeFileSync(evidence, randomBytes(300_000));
    const newsNote = (airlock(pat, ["notes", "list", "--space", "Newsroom"])["notes"] as { id: string }[])[0]!.id;
    const folders = (): string[] => readdirSync(join(pat, "spaces"));
    const [, leave, leavingList] = airlockMany([
      { home: pat, args: ["attach", "add", newsNote, evidence, "--space", "Newsroom"] },
      { home: pat, args: ["spaces", "leave", "Newsroom"] },
      { home: pat, args: ["spaces", "list"] },
    ]);
    expect(leave!["leaving"]).toBe(true);
    expect(folders()).toHaveLength(1);
    expect((leavingList!["spaces"] as { name: string; state: string }[]).find((x) => x.name === "Newsroom")?.state).toBe("leaving");
    const bye = stick("bye");
    const [last, after, , files, devices] = airlockMany([
      { home: pat, args: ["export", "--usb", bye] },
      { home: pat, args: ["spaces", "list"] },
      { home: news, args: ["import", bye] },
      { home: news, args: ["attach", "list"] },
      { home: news, args: ["devices", "list"] },
    ]);
    expect(folders()).toHaveLength(0);
    const leftBundles = ((last!["spaces"] as { space: { name: string }; bundles: { kind: string }[] }[]).find((x) => x.space.name === "Newsroom")?.bundles ?? []).map((b) => b.kind);
    expect(leftBundles).toContain("file");
    expect((after!["spaces"] as unknown[]).length).toBe(1);
    expect(files!["files"]).toEqual([expect.objectContaining({ name: "evidence.bin", held: true })]);
    expect((devices!["devices"] as { active: boolean }[]).filter((d) => d.active).length).toBe(1);
  });
});
