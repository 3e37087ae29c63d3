/**
 * Hostile series another member may write (review of #12, F4): rules that began long ago, rules
 * that never match, moves to the ends of time. Each agenda comes back after a bounded walk with
 * the right occurrences, or with fewer and a warning. Assertions are on counts, never on time:
 * before the fix these ran for seconds to minutes or ran out of memory.
 */
import { IANAZone } from "luxon";
import rrulePkg from "rrule";
import { describe, expect, it } from "vitest";
import { agenda, dayWindow, expand, MAX_GAP, MAX_PERIODS, occurrences, ruleOf, offsetsOf, type Expansion, type ExpansionReport } from "./agenda.js";
import type { CalEvent } from "./event.js";
import { eventsApp } from "./index.js";
import { MAX_MOVE_DAYS, OVERRIDE_SEPARATOR, overrideProblem } from "./syntax.js";
import type { CheckContext } from "../app.js";

const { RRule } = rrulePkg;
const UTC = IANAZone.create("UTC");
const BERLIN = IANAZone.create("Europe/Berlin");
const march = dayWindow("2026-03-01", "2026-03-31", BERLIN)!;
const ev = (start: string, rrule: string, over: Partial<CalEvent> = {}): CalEvent => ({
  title: "t", allDay: false, tz: "UTC", start, end: start.replace(/T(\d\d)/, (_m, h: string) => `T${String(Number(h) + 1).padStart(2, "0")}`).replace("T24", "T23"), rrule, exdates: [], overrides: [], attendees: [], guests: [], ...over,
});
const walls = (e: CalEvent, from: string, to: string): Expansion => expand(ruleOf(e, offsetsOf(UTC))!, Date.parse(`${from}Z`), Date.parse(`${to}Z`), Infinity);

describe("series that began long ago", () => {
  it("HOURLY from 1900 and DAILY from the year 1000 give March 2026 in full, without a warning", () => {
    const hourly = occurrences("h", ev("1900-01-01T00:00:00", "FREQ=HOURLY"), march, BERLIN);
    // 31 days of Berlin, less the hour DST skips on 29 March.
    expect(hourly).toHaveLength(31 * 24 - 1);
    expect(hourly.every((o) => o.warning === undefined)).toBe(true);
    const daily = occurrences("d", ev("1000-01-01T09:00:00", "FREQ=DAILY"), march, BERLIN);
    expect(daily.map((o) => o.start.slice(0, 16))).toEqual(Array.from({ length: 31 }, (_, i) => `2026-03-${String(i + 1).padStart(2, "0")}T09:00`));
    // The walk starts a period or two before the window, not in 1900.
    expect(walls(ev("1900-01-01T00:00:00", "FREQ=HOURLY"), "2026-03-01T00:00:00", "2026-03-31T23:00:00").periods).toBeLessThan(31 * 24 + 4);
  });

  it("moving DTSTART near the window changes no occurrence (defaults from DTSTART made explicit)", () => {
    const rules: [string, string][] = [
      ["2020-01-31T10:00:00", "FREQ=MONTHLY"],
      ["2019-07-31T10:00:00", "FREQ=YEARLY"],
      ["2019-06-03T08:15:00", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR"],
      ["2018-01-26T17:00:00", "FREQ=MONTHLY;BYDAY=-1FR"],
      ["2015-05-11T09:00:00", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO"],
      ["2019-03-05T07:30:00", "FREQ=DAILY;INTERVAL=7"],
      ["2021-07-01T00:45:00", "FREQ=HOURLY;INTERVAL=5;BYDAY=TU"],
      ["2012-11-15T12:00:00", "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=15,-1;UNTIL=20270101T000000Z"],
      ["2016-03-01T06:00:00", "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=1SU,-1SA"],
    ];
    for (const [start, rule] of rules) {
      const e = ev(start, rule);
      const raw = ruleOf(e, offsetsOf(UTC))!.between(new Date("2026-01-01T00:00:00Z"), new Date("2027-12-31T23:59:59Z"), true).map((d) => d.getTime());
      const got = walls(e, "2026-01-01T00:00:00", "2027-12-31T23:59:59");
      expect(got.cut).toBe(false);
      expect(raw.length, rule).toBeGreaterThan(0);
      expect(got.walls).toEqual(raw);
    }
  });
});

describe("a bounded walk", () => {
  it("a rule that can never match is not walked at all (BYMONTHDAY against BYMONTH), with or without COUNT", () => {
    for (const e of [ev("2000-01-01T00:00:00", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"), ev("1000-01-01T00:00:00", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"), ev("1900-01-01T00:00:00", "FREQ=HOURLY;COUNT=5;BYMONTH=2;BYMONTHDAY=30"), ev("2000-01-01T09:00:00", "FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31,-31"), ev("2000-01-01T09:00:00", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")]) {
      const report: ExpansionReport = { periods: 0, notExpanded: [] };
      expect(occurrences("x", e, march, BERLIN, report)).toEqual([]);
      expect(report).toEqual({ periods: 0, notExpanded: [] });
      expect(walls(e, "2026-03-01T00:00:00", "2026-03-31T23:00:00")).toEqual({ walls: [], cut: false, periods: 0, never: true });
    }
    // A leap day can match: walked, and found.
    expect(walls(ev("2000-01-01T09:00:00", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29"), "2028-01-01T00:00:00", "2028-12-31T00:00:00").walls.map((w) => new Date(w).toISOString().slice(0, 10))).toEqual(["2028-02-29"]);
  });

  it("a rule that never matches otherwise walks only to the end of the range, or MAX_GAP periods past its last match with COUNT, and says so", () => {
    const never = ["FREQ=HOURLY;BYSETPOS=2", "FREQ=DAILY;BYSETPOS=2", "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1", "FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2;BYMONTHDAY=1"];
    for (const rule of never) {
      // Without COUNT the walk starts a period before the range and stops past it: no cut, nothing to report.
      const got = walls(ev("2000-01-01T00:00:00", rule), "2026-03-01T00:00:00", "2026-03-31T23:00:00");
      expect(got, rule).toMatchObject({ walls: [], cut: false });
      expect(got.periods, rule).toBeLessThanOrEqual(31 * 24 + 4);
      const report: ExpansionReport = { periods: 0, notExpanded: [] };
      expect(occurrences("x", ev("2000-01-01T00:00:00", rule), march, BERLIN, report)).toEqual([]);
      expect(report.notExpanded).toEqual([]);
      // With COUNT it walks from its start, and gives up MAX_GAP periods after the last match (here: none);
      // a yearly one reaches the range first (1,026 periods), and ends there: nothing left to show.
      if (rule.startsWith("FREQ=YEARLY")) {
        const yearly = walls(ev("1000-01-01T00:00:00", `${rule};COUNT=5`), "2026-03-01T00:00:00", "2026-03-31T23:00:00");
        expect(yearly).toMatchObject({ walls: [], cut: false });
        expect(yearly.periods).toBeLessThanOrEqual(2026 - 1000 + 4);
        continue;
      }
      const counted = ev("1000-01-01T00:00:00", `${rule};COUNT=5`);
      expect(walls(counted, "2026-03-01T00:00:00", "2026-03-31T23:00:00"), rule).toMatchObject({ walls: [], cut: true, periods: MAX_GAP + 1 });
      const cut: ExpansionReport = { periods: 0, notExpanded: [] };
      expect(agenda([{ id: "hostile", event: counted }, { id: "honest", event: ev("2026-03-02T09:00:00", "FREQ=WEEKLY;COUNT=2") }], march, BERLIN, cut).map((o) => o.id)).toEqual(["honest", "honest"]);
      expect(cut.notExpanded, rule).toEqual(["hostile"]);
      expect(cut.periods).toBeLessThanOrEqual(MAX_GAP + 1 + 4);
    }
  });

  it("a COUNT series from long ago is cut after MAX_PERIODS periods, with a warning on what it shows", () => {
    // Every day at 09:00 from 1700: COUNT reaches 2026 only through 118,000 daily periods.
    const e = ev("1700-01-01T09:00:00", "FREQ=DAILY;COUNT=10000;BYMONTH=3", { start: "1700-03-01T09:00:00", end: "1700-03-01T10:00:00" });
    expect(walls(e, "1700-01-01T00:00:00", "1700-12-31T00:00:00")).toMatchObject({ cut: false });
    const far = walls(e, "2026-03-01T00:00:00", "2026-03-31T23:00:00");
    expect(far).toMatchObject({ walls: [], cut: true });
    // The period count is rrule 2.8.1's: the budget reaches just past this many days of walking.
    const daily = ev("2000-01-01T00:00:00", `FREQ=DAILY;COUNT=10000`);
    expect(walls(daily, "2000-01-01T00:00:00", "2100-01-01T00:00:00").walls).toHaveLength(10_000);
    const sparse = ev("2000-01-01T00:00:00", "FREQ=DAILY;COUNT=10000;BYMONTHDAY=1");
    const got = walls(sparse, "2000-01-01T00:00:00", "9999-01-01T00:00:00");
    expect(got.cut).toBe(true);
    // One a month, for about MAX_PERIODS days.
    expect(got.walls.length).toBeGreaterThan(Math.floor((MAX_PERIODS / 366) * 12));
    expect(got.walls.length).toBeLessThan(Math.ceil((MAX_PERIODS / 365) * 12) + 2);
  });

  it("an agenda cut short says so", () => {
    const e = ev("2026-01-01T00:00:00", "FREQ=HOURLY");
    const list = occurrences("e", e, dayWindow("2026-01-01", "2028-12-31", UTC)!, UTC);
    expect(list.length).toBeLessThanOrEqual(20_000);
    expect(list[0]!.warning).toMatch(/cut short/);
  });
});

describe("moved occurrences", () => {
  const series = ev("2000-01-01T00:00:00", "FREQ=HOURLY");
  const move = (rid: string, start: string): { rid: string; start: string; end: string } => ({ rid, start, end: start });

  it("moves decades apart, or at the ends of time, cost only the ones near the window", () => {
    const e = { ...series, overrides: [move("1000-01-01T00:00:00", "1000-01-01T00:00:00"), move("2000-01-01T00:00:00", "2000-01-01T00:00:00"), move("2020-01-01T00:00:00", "2020-01-01T00:00:00"), move("9999-12-31T23:00:00", "9999-12-31T23:00:00"), move("2026-03-10T05:00:00", "2026-03-12T05:30:00")] };
    const list = occurrences("e", e, march, BERLIN);
    expect(list).toHaveLength(31 * 24 - 1);
    expect(list.filter((o) => o.moved === true).map((o) => [o.recurrenceId, o.start])).toEqual([["2026-03-10T05:00:00", "2026-03-12T05:30:00+00:00"]]);
  });

  it("a move from outside the window into it still shows; check refuses a move further than MAX_MOVE_DAYS", () => {
    const e = { ...series, overrides: [move("2025-06-01T05:00:00", "2026-03-20T05:30:00")] };
    expect(occurrences("e", e, march, BERLIN).filter((o) => o.moved === true).map((o) => o.start)).toEqual(["2026-03-20T05:30:00+00:00"]);
    const op = (rid: string, start: string): string => [rid, start, start].join(OVERRIDE_SEPARATOR);
    expect(overrideProblem(op("2026-03-01T00:00:00", "2027-03-02T00:00:00"))).toBe(undefined);
    expect(overrideProblem(op("2026-03-01T00:00:00", "2027-03-02T00:00:01"))).toMatch(new RegExp(`more than ${MAX_MOVE_DAYS} days`));
    expect(overrideProblem(op("1000-01-01T00:00:00", "1000-01-01T01:00:00"))).toBe(undefined);
    expect(overrideProblem(op("2026-03-01", "2025-02-27"))).toMatch(/more than/);
    const context = { state: { users: new Map() }, author: "a".repeat(64), version: 1 } as unknown as CheckContext;
    expect(eventsApp.check?.([{ kind: "add", record: "e", field: "overrides", value: op("1000-01-01T00:00:00", "9999-12-31T00:00:00") } as never], context)).toMatch(/more than 366 days/);
  });
});

it("rrule pin: two reads of `interval` per period (the budget counts them)", () => {
  const rule = new RRule({ freq: RRule.DAILY, dtstart: new Date(Date.UTC(2026, 0, 1)), count: 10 }, true);
  const options = { ...rule.options };
  let reads = 0;
  Object.defineProperty(options, "interval", { get: () => (reads++, 1) });
  (rule as { options: typeof options }).options = options;
  expect(rule.all()).toHaveLength(10);
  expect(reads).toBe(1 + 2 * 9);
});
