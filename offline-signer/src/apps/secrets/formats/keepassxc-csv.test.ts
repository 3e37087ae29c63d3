import { describe, expect, it } from "vitest";
import { exportSecrets, importSecrets } from "./index.js";
import { failure, fixture, settle, utf8 } from "./test-helpers.js";

const HEADER = '"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"';

describe("KeePassXC CSV", () => {
  it("maps the export fixture: group path below the root becomes a tag", async () => {
    const items = await importSecrets(fixture("keepassxc.csv"), "keepassxc-csv");
    expect(items).toEqual([
      {
        title: "GitHub",
        username: "ana@example.org",
        password: "correct horse battery staple",
        urls: ["https://github.com/login"],
        notes: "recovery codes in the safe",
        totp: "otpauth://totp/GitHub:ana%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30",
        tags: [],
        fields: [],
      },
      {
        title: "Mail server",
        username: "ana",
        password: "Tr0ub4dor&3",
        urls: ["imaps://mail.example.org:993"],
        totp: "otpauth://totp/Mail%20server:ana?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Mail%20server&algorithm=SHA512&digits=8&period=60",
        tags: ["Email"],
        fields: [],
      },
      { title: 'Webmail "legacy"', username: "ana", password: 'p,w"x', urls: ["https://webmail.example.org"], notes: "line one\nline two", tags: ["Email/Old"], fields: [] },
      { title: "(untitled)", password: "only-a-password", urls: [], tags: [], fields: [] },
    ]);
  });

  it("reads the six-column export of older releases", async () => {
    const csv = '"Group","Title","Username","Password","URL","Notes"\n"Root/Web","Site","u","p","https://x.example",""\n';
    expect(await importSecrets(utf8(csv), "keepassxc-csv")).toEqual([{ title: "Site", username: "u", password: "p", urls: ["https://x.example"], tags: ["Web"], fields: [] }]);
  });

  it("writes KeePassXC's header and quotes every cell", async () => {
    const items = await importSecrets(fixture("keepassxc.csv"), "keepassxc-csv");
    const text = new TextDecoder().decode(exportSecrets(items, "keepassxc-csv"));
    const lines = text.split("\n");
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toBe(
      '"Root","GitHub","ana@example.org","correct horse battery staple","https://github.com/login","recovery codes in the safe","otpauth://totp/GitHub:ana%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30","0","",""',
    );
    expect(await importSecrets(utf8(text), "keepassxc-csv")).toEqual(items);
  });

  it("refuses bad headers and rows, naming the line", async () => {
    const cases: [string, RegExp][] = [
      ['"Title","Username"\n', /line 1: lacks the column "Group"/],
      [`${HEADER},"Colour"\n`, /line 1: has the unknown column "Colour"/],
      [`${HEADER}\n"Root","a","","","","","","0","",""\n"Root","b","","",""\n`, /line 3: has a different number of columns/],
      [`${HEADER}\n"Root","a","","","","","otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=0","0","",""\n`, /line 2: TOTP: HOTP/],
      [`${HEADER}\n"Root","a\u0000","","","","","","0","",""\n`, /line 2 .*title holds the control character U\+0000|line 2: title holds the control character U\+0000/],
      [`${HEADER}\n"Root","a","","","","x"y","","0","",""\n`, /line 2: has text right after a closing quote|line 2: has a quote inside/],
    ];
    for (const [csv, pattern] of cases) {
      const f = failure(await settle(() => importSecrets(utf8(csv), "keepassxc-csv")));
      expect(f.partial).toBeUndefined();
      expect(f.code, f.message).toBe("SECRETS_IMPORT_MALFORMED");
      expect(f.message).toMatch(pattern);
    }
  });
});
