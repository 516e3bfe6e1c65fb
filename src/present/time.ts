/** How times and spans read in every rendering: 24-hour ISO dates in a chosen IANA zone. */
import { intervalToDuration } from 'date-fns/intervalToDuration';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** "2026-03-14 10:00:05 UTC", or in a zone: "2026-03-14 11:00:05 CET". */
export function formatTime(iso: string, timeZone = 'UTC'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = formatter(timeZone).formatToParts(d);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${get('timeZoneName')}`;
}

/** "2026-03-14 10:00:05 UTC → 2026-03-14 10:04:51 UTC". */
export function formatRange(fromIso: string, toIso: string, timeZone = 'UTC'): string {
  return `${formatTime(fromIso, timeZone)} → ${formatTime(toIso, timeZone)}`;
}

/** "6 h 12 min": the two largest units of the span, enough to read at a glance. */
export function humanSpan(fromIso: string | null, toIso: string | null): string {
  if (!fromIso || !toIso) return 'no traffic';
  const start = new Date(fromIso);
  const end = new Date(toIso);
  if (end.getTime() - start.getTime() < 1000) return 'under a second';
  const d = intervalToDuration({ start, end });
  const units: Array<[number | undefined, string]> = [[d.years, 'y'], [d.months, 'mo'], [d.days, 'd'], [d.hours, 'h'], [d.minutes, 'min'], [d.seconds, 's']];
  return units.filter(([v]) => v).slice(0, 2).map(([v, u]) => `${v} ${u}`).join(' ');
}
