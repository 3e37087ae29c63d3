/**
 * Each fixture is written by hand after what that app exports (see fixtures/README.md for the
 * sources); every card must map to exactly the Contact listed here, nothing more.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Contact } from "./contact.js";
import { parseVcards, readVcards } from "./vcard.js";

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}

const none = { organisations: [], phones: [], emails: [], messengers: [], addresses: [] } as const;

const EXPECTED: Record<string, Contact[]> = {
  "apple-contacts-3.0.vcf": [
    {
      name: "Dr. Ngozi Adaeze Okafor",
      given: "Ngozi",
      family: "Okafor",
      organisations: ["Médecins Sans Frontières, Field Logistics"],
      phones: [
        { label: "cell", value: "+234 803 555 0142" },
        { label: "iphone cell", value: "+41 79 555 01 43" },
        { label: "other", value: "+41 22 555 0144" },
        { label: "signal", value: "+234 1 555 0145" },
      ],
      emails: [
        { label: "work", value: "ngozi.okafor@example.org" },
        { label: "home", value: "ngozi@example.net" },
      ],
      messengers: [
        { label: "skype", value: "skype:ngozi.okafor" },
        { label: "signal", value: "+2348035550142" },
        { label: "twitter", value: "ngozi_o" },
        { label: "linkedin", value: "https://www.linkedin.com/in/ngozi-okafor" },
      ],
      addresses: [
        { label: "work", value: "Rue de Lausanne 78, Genève, 1202, Switzerland" },
        { label: "home", value: "12 Adeola Odeku St, Apt 4B, Lagos, Lagos, 101241, Nigeria" },
      ],
      notes: "Met at the Geneva logistics summit, 2023.\nPrefers Signal; never SMS. Ask for the Lagos office before calling the Geneva number.",
    },
    {
      ...none,
      name: "Lagos Legal Aid Clinic",
      organisations: ["Lagos Legal Aid Clinic"],
      phones: [{ label: "work", value: "+234 1 555 0199" }],
      emails: [{ label: "work", value: "intake@legalaid.example" }],
    },
  ],
  "google-contacts-3.0.vcf": [
    {
      name: "Tomás Ó Briain",
      given: "Tomás",
      family: "Ó Briain",
      organisations: ["The Dublin Ledger"],
      phones: [
        { label: "cell", value: "+353 87 555 0101" },
        { label: "newsroom desk", value: "+353 1 555 0102" },
      ],
      emails: [
        { label: "home", value: "tomas.obriain@example.ie" },
        { label: "work", value: "t.obriain@newsroom.example" },
      ],
      messengers: [{ label: "jabber", value: "tomas@jabber.example" }],
      addresses: [{ label: "work", value: "2 Grand Canal Quay, Docklands, Dublin, D02 A342, Ireland" }],
      notes: "Sources list kept offline.\nCall before 10, never after 22. Fáilte: the Irish-language desk answers in Gaeilge — ask for Siobhán.",
    },
    {
      ...none,
      name: "Ayşe Demir",
      given: "Ayşe",
      family: "Demir",
      phones: [{ label: "cell", value: "+90 532 555 0103" }],
      emails: [{ label: "", value: "ayse.demir@example.com.tr" }],
      addresses: [{ label: "home", value: "Bağdat Caddesi 210, Daire 7, İstanbul, 34728, Türkiye" }],
    },
  ],
  "android-2.1.vcf": [
    {
      name: "张伟",
      given: "伟",
      family: "张",
      organisations: ["北京律师事务所"],
      phones: [
        { label: "cell", value: "+86 138 0555 0104" },
        { label: "home", value: "+86 10 5555 0105" },
        { label: "work fax", value: "+86 10 5555 0106" },
      ],
      emails: [{ label: "home", value: "zhang.wei@example.cn" }],
      messengers: [
        { label: "jabber", value: "zhangwei@xmpp.example" },
        { label: "skype", value: "zhang.wei.law" },
      ],
      addresses: [{ label: "home", value: "朝阳路1号, 北京, 100020, 中国" }],
      notes: "律师。\n周二和周四在办公室。Call via Signal only; never WeChat.",
    },
    {
      ...none,
      name: "Maria Santos",
      given: "Maria",
      family: "Santos",
      phones: [
        { label: "cell", value: "+55 11 95555 0114" },
        { label: "signal", value: "+55 11 5555 0115" },
      ],
      emails: [{ label: "work", value: "maria.santos@example.com.br" }],
    },
    // Its third card, only an address (a contact synced from mail), has no name: left out (SKIPPED).
  ],
  "outlook-2.1.vcf": [
    {
      name: "Rania Haddad",
      given: "Rania",
      family: "Haddad",
      organisations: ["Beirut Press Freedom Center, Legal Desk"],
      phones: [
        { label: "work", value: "+961 1 555 0107" },
        { label: "cell", value: "+961 3 555 0108" },
        { label: "work fax", value: "+961 1 555 0109" },
      ],
      emails: [{ label: "", value: "r.haddad@pressfreedom.example" }],
      messengers: [{ label: "", value: "rania.haddad@wire.example" }],
      addresses: [{ label: "work", value: "Hamra Street 44, Beirut, 1103, Lebanon" }],
      notes: "Handles detention cases.\nPrefers calls via Wire; email only for scheduling.",
    },
    {
      ...none,
      name: "José Muñoz",
      given: "José",
      family: "Muñoz",
      phones: [{ label: "home", value: "+34 91 555 0116" }],
      emails: [{ label: "", value: "jose.munoz@example.es" }],
    },
  ],
  "thunderbird-4.0.vcf": [
    {
      name: "Kofi Mensah",
      given: "Kofi",
      family: "Mensah",
      organisations: ["West Africa Rights Network, Research"],
      phones: [
        { label: "cell", value: "+233 24 555 0110" },
        { label: "work", value: "+233 30 555 0111" },
      ],
      emails: [
        { label: "", value: "kofi.mensah@example.org" },
        { label: "work", value: "k.mensah@ngo.example" },
      ],
      messengers: [
        { label: "xmpp", value: "xmpp:kofi@jabber.example" },
        { label: "matrix", value: "matrix:u/kofi:matrix.example" },
      ],
      addresses: [{ label: "work", value: "14 Independence Ave, Accra, Greater Accra, GA-123, Ghana" }],
      notes: "Key fingerprint verified in person.\nUse the Matrix room, not email.",
      uid: "5b1e0d2c-8f3a-4c6b-9d7e-0a1b2c3d4e5f",
    },
  ],
  // Cards without FN as vCard 2.1 allows and some exporters write in 3.0 and 4.0 too (see fixtures/README.md).
  "missing-fn.vcf": [
    { ...none, name: "Rania Haddad", given: "Rania", family: "Haddad", phones: [{ label: "cell", value: "+961 3 555 0120" }] },
    { ...none, name: "Dr. Chidi Okoye", given: "Chidi", family: "Okoye", emails: [{ label: "", value: "chidi.okoye@example.org" }] },
    { ...none, name: "Lina Farah", given: "Lina", family: "Farah", phones: [{ label: "work", value: "+961 1 555 0123" }] },
  ],
  "nextcloud-4.0.vcf": [
    {
      name: "Lena Vogel",
      given: "Lena",
      family: "Vogel",
      organisations: ["Netzwerk Pressefreiheit e.V."],
      phones: [
        { label: "cell", value: "+49-151-5550-0112" },
        { label: "work", value: "+49-30-5550-0113;ext=7" },
      ],
      emails: [{ label: "work", value: "lena.vogel@pressefreiheit.example" }],
      messengers: [
        { label: "signal", value: "+4915155500112" },
        { label: "threema", value: "threema:ABCD1234" },
      ],
      addresses: [{ label: "home", value: "Lindenstraße 12, Berlin, 10969, Germany" }],
      uid: "urn:uuid:0f2d9c7e-1b3a-4e5f-8a6b-7c8d9e0f1a2b",
    },
  ],
};

/** Cards each fixture leaves out (no FN, and no N to take a name from), as `contacts import --json` lists them. */
const SKIPPED: Record<string, { card: number; line: number }[]> = {
  "android-2.1.vcf": [{ card: 3, line: 34 }],
  "missing-fn.vcf": [
    { card: 2, line: 6 },
    { card: 4, line: 17 },
  ],
};

function read(bytes: Uint8Array): { contacts: Contact[]; skipped: { card: number; line: number; code: string; message: string }[] } {
  const r = readVcards(bytes);
  return { contacts: r.contacts, skipped: r.skipped.map((s) => ({ card: s.card, line: s.line, code: s.error.code, message: s.error.message })) };
}

const skippedAs = (at: { card: number; line: number }): { card: number; line: number; code: string; message: string } => ({
  ...at,
  code: "CONTACTS_CARD_NO_NAME",
  message: `vCard card ${at.card}, line ${at.line}, FN: card has no name: no FN, and no N to take one from`,
});

describe("vCard fixtures from real exporters", () => {
  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file} maps to the expected contacts`, () => {
      expect(read(fixture(file))).toStrictEqual({ contacts: expected, skipped: (SKIPPED[file] ?? []).map(skippedAs) });
    });
  }

  it("missing-fn.vcf: a card without FN is named from N (2.1 and 4.0 alike); one with neither, or both empty, is left out and the rest kept", () => {
    expect(read(fixture("missing-fn.vcf")).contacts.map((c) => c.name)).toEqual(["Rania Haddad", "Dr. Chidi Okoye", "Lina Farah"]);
    // parseVcards, which wants every card, names the first card left out.
    expect(() => parseVcards(fixture("missing-fn.vcf"))).toThrow(/^vCard card 2, line 6, FN: card has no name/);
  });

  it("the same file with LF line ends and a byte order mark reads the same", () => {
    const text = new TextDecoder().decode(fixture("apple-contacts-3.0.vcf")).replace(/\r\n/g, "\n");
    const withBom = new TextEncoder().encode(`\ufeff${text}`);
    expect(parseVcards(withBom)).toStrictEqual(EXPECTED["apple-contacts-3.0.vcf"]);
  });

  it("a UTF-16 export (with its byte order mark) reads the same", () => {
    const text = new TextDecoder().decode(fixture("google-contacts-3.0.vcf"));
    const utf16 = new Uint8Array(2 + text.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      utf16[2 + 2 * i] = c & 0xff;
      utf16[3 + 2 * i] = c >> 8;
    }
    expect(parseVcards(utf16)).toStrictEqual(EXPECTED["google-contacts-3.0.vcf"]);
  });

  it("all fixtures concatenated are one import of every card in order", () => {
    const files = Object.keys(EXPECTED);
    const all = Buffer.concat(files.map((f) => fixture(f)));
    const r = readVcards(all);
    expect(r.contacts).toStrictEqual(files.flatMap((f) => EXPECTED[f]));
    expect(r.skipped).toHaveLength(files.reduce((n, f) => n + (SKIPPED[f]?.length ?? 0), 0));
  });
});
