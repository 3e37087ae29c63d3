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
import { airlock, airlockMany, airlockRaw, type Json } from "./support/cli.js";

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

    // --space on a whole-vault command is a usage error; an unknown space names the ones there are.
    const refused = airlockRaw(pat, ["passphrase", "change", "--space", "Newsroom"]);
    expect(refused.status).toBe(2);
    const unknown = airlockRaw(pat, ["status", "--space", "Elsewhere"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no space named "Elsewhere"[\s\S]*"NGO", "Newsroom"/);

    // The same request admitted into a second space would carry one key into both: refused.
    const linked = airlockRaw(pat, ["spaces", "create", "Own", "--json"]);
    expect(linked.status).toBe(0);
    const self = airlockRaw(pat, ["members", "add", join(t.root, "pat-news.airlock-join"), "--role", "viewer", "--fingerprint", fpNews, "--space", "Own", "--json"]);
    expect(JSON.parse(self.stdout)).toMatchObject({ ok: false, error: { code: "SPACE_LINKED", message: expect.stringContaining('already in space "Newsroom"') } });
    // `first` always names the first space; no space may take that name.
    expect((airlock(pat, ["status", "--space", "first"])["space"] as { name: string }).name).toBe("NGO");
    expect(JSON.parse(airlockRaw(pat, ["spaces", "create", "First", "--json"]).stdout)).toMatchObject({ ok: false, error: { code: "SPACE_EXISTS" } });

    // A damaged space (its folder gone) is named by `spaces list`, does not stop the others' import
    // and export (exit 3, a warning), and `leave --now` removes it without opening it.
    const own = (airlock(pat, ["spaces", "list"])["spaces"] as { name: string; id: string }[]).find((x) => x.name === "Own")!;
    rmSync(join(pat, "spaces", own.id), { recursive: true });
    expect((airlock(pat, ["spaces", "list"])["spaces"] as { name: string; state: string }[]).find((x) => x.name === "Own")?.state).toBe("damaged");
    const partial = airlockRaw(pat, ["export", "--usb", stick("partial"), "--json"]);
    expect(partial.status).toBe(3);
    expect(partial.stderr).toMatch(/space "Own" not exported: no database/);
    expect((JSON.parse(partial.stdout)["spaces"] as { space: { name: string } }[]).map((x) => x.space.name)).toEqual(["NGO", "Newsroom"]);
    expect(airlockRaw(pat, ["import", out]).status).toBe(3);
    expect(airlock(pat, ["spaces", "leave", "Own", "--now"])["deleted"]).toBe(true);

    // Leaving: the next export first sends what the team lacks (an attached file too), then the
    // revocation, then the space is gone from the vault.
    const evidence = join(t.root, "evidence.bin");
    writeFileSync(evidence, randomBytes(300_000));
    const newsNote = (airlock(pat, ["notes", "list", "--space", "Newsroom"])["notes"] as { id: string }[])[0]!.id;
    airlock(pat, ["attach", "add", newsNote, evidence, "--space", "Newsroom"]);
    const folders = (): string[] => readdirSync(join(pat, "spaces"));
    expect(folders()).toHaveLength(1);
    expect(airlock(pat, ["spaces", "leave", "Newsroom"])["leaving"]).toBe(true);
    expect(folders()).toHaveLength(1);
    expect((airlock(pat, ["spaces", "list"])["spaces"] as { name: string; state: string }[]).find((x) => x.name === "Newsroom")?.state).toBe("leaving");
    const bye = stick("bye");
    const last = airlock(pat, ["export", "--usb", bye]);
    expect(folders()).toHaveLength(0);
    const leftBundles = ((last["spaces"] as { space: { name: string }; bundles: { kind: string }[] }[]).find((x) => x.space.name === "Newsroom")?.bundles ?? []).map((b) => b.kind);
    expect(leftBundles).toContain("file");
    expect((airlock(pat, ["spaces", "list"])["spaces"] as unknown[]).length).toBe(1);
    airlock(news, ["import", bye]);
    const files = airlock(news, ["attach", "list"])["files"] as { held: boolean; name: string }[];
    expect(files).toEqual([expect.objectContaining({ name: "evidence.bin", held: true })]);
    const devices = airlock(news, ["devices", "list"])["devices"] as { active: boolean }[];
    expect(devices.filter((d) => d.active).length).toBe(1);
  });
});
