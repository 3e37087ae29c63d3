/**
 * Calendar benchmark (issue #12): the agenda for a year of 1,000 recurring events (weekly, daily,
 * monthly on the last Friday, yearly, in four zones, some with cancelled and moved occurrences)
 * against the bare rrule expansion of the same rules over the same year in the same run. Ours also
 * turns every wall time into an instant in its zone, applies exceptions and moves, and sorts;
 * ratio = baseline / ours (1.0 would be no overhead).
 */
import { performance } from "node:perf_hooks";
import { IANAZone } from "luxon";
import rrulePkg from "rrule";
import type { BenchFigure } from "@airlock/shared";
import { agenda, dayWindow } from "../src/apps/events/agenda.js";
import type { CalEvent } from "../src/apps/events/event.js";

const { RRule } = rrulePkg;
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"];
const RULES = ["FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=DAILY;INTERVAL=2", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"];

function events(n: number): CalEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const day = String(1 + (i % 28)).padStart(2, "0");
    const hour = String(7 + (i % 12)).padStart(2, "0");
    const start = `2026-01-${day}T${hour}:00:00`;
    return {
      title: `Event ${i}`,
      allDay: false,
      tz: ZONES[i % ZONES.length]!,
      start,
      end: `2026-01-${day}T${hour}:45:00`,
      rrule: RULES[i % RULES.length]!,
      // Every tenth event has a cancelled and a moved occurrence (the first one: always real).
      exdates: i % 10 === 0 ? [`2026-06-${day}T${hour}:00:00`] : [],
      overrides: i % 10 === 0 ? [{ rid: start, start: `2026-01-${day}T${hour}:30:00`, end: `2026-01-${day}T${hour}:50:00` }] : [],
      attendees: [],
      guests: [],
    };
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchAgenda(opts: { quick: boolean }): Promise<BenchFigure[]> {
  const n = opts.quick ? 100 : 1000;
  const runs = opts.quick ? 3 : 5;
  const list = events(n).map((event, i) => ({ id: `e${i}`, event }));
  const zone = IANAZone.create("UTC");
  const window = dayWindow("2026-01-01", "2026-12-31", zone)!;
  const ours: number[] = [];
  const bare: number[] = [];
  let count = 0;
  let bareCount = 0;
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    count = agenda(list, window, zone).length;
    ours.push(performance.now() - t);
    t = performance.now();
    bareCount = 0;
    for (const { event } of list) {
      const [y, mo, d, h, mi, s] = event.start.split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
      const rule = new RRule({ ...RRule.parseString(event.rrule!), dtstart: new Date(Date.UTC(y, mo - 1, d, h, mi, s)) });
      bareCount += rule.between(new Date(window.fromMs), new Date(window.toMs), true).length;
    }
    bare.push(performance.now() - t);
  }
  const o = median(ours);
  const b = median(bare);
  return [
    {
      name: `events.agenda.year${opts.quick ? ".quick" : ""}`,
      value: o,
      unit: "ms",
      baseline: b,
      ratio: b / o,
      note: `agenda() of ${n} recurring events over 2026 (${count} occurrences: wall time to instant in 4 IANA zones, EXDATEs, moves, sorted) vs bare rrule between() of the same rules (${bareCount} dates); median of ${runs}; ratio = baseline / ours`,
    },
  ];
}
