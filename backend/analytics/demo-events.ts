import type { EventRow } from './warehouse';
import { seededRandom } from '../../common/seeded-random';

/**
 * A realistic product's events, generated with known truths (the demo, the planted-truth tests
 * and the bench share it). Lumen Notes: users sign up (more on weekdays, a little more each
 * week), complete onboarding, activate, and some pay. What is planted:
 *   - the funnel signup_completed → onboarding_completed → activated → subscription_paid with
 *     real drop-offs and delays;
 *   - plan=team on the signup event truly drives payment (and activation a little);
 *     browser has no effect at all (the planted non-driver);
 *   - session_started returns that decay with time since signup (retention);
 *   - one incident: on `incidentDay` signups fall to a third (the signup form broke).
 */
export interface DemoOptions {
  users: number;
  days: number;
  /** The first instant after the data (exclusive). */
  end: Date;
  seed: number;
  /** Days before `end` the incident happened (default: 9). */
  incidentDaysAgo?: number;
}

export interface DemoTruth {
  driver: { key: string; value: string };
  nonDriver: string;
  incidentDay: string;
  funnel: string[];
}

export const DEMO_FUNNEL = ['signup_completed', 'onboarding_completed', 'activated', 'subscription_paid'];

const DAY = 86_400_000;
const HOUR = 3_600_000;

const pick = <T extends string>(r: number, table: Array<[T, number]>): T => {
  let acc = 0;
  for (const [v, p] of table) if (r < (acc += p)) return v;
  return table[table.length - 1][0];
};

/** Signups per weekday, Monday first: the weekly pattern. */
const WEEKDAY = [1.0, 1.05, 1.0, 0.95, 0.85, 0.5, 0.45];

export function demoTruth(o: DemoOptions): DemoTruth {
  const start = Math.floor(o.end.getTime() / DAY) * DAY - o.days * DAY;
  const incident = start + (o.days - (o.incidentDaysAgo ?? 9)) * DAY;
  return { driver: { key: 'plan', value: 'team' }, nonDriver: 'browser', incidentDay: new Date(incident).toISOString().slice(0, 10), funnel: DEMO_FUNNEL };
}

export function* demoEvents(o: DemoOptions): Generator<EventRow> {
  const rnd = seededRandom(o.seed);
  const start = Math.floor(o.end.getTime() / DAY) * DAY - o.days * DAY;
  const endMs = o.end.getTime();
  const incident = start + (o.days - (o.incidentDaysAgo ?? 9)) * DAY;
  const weight = (day: number) => {
    const t = start + day * DAY;
    const wd = (new Date(t).getUTCDay() + 6) % 7;
    return WEEKDAY[wd] * (1 + (0.5 * day) / o.days) * (t === incident ? 0.3 : 1);
  };
  const maxWeight = 1.05 * 1.5;
  for (let u = 0; u < o.users; u++) {
    let day: number;
    do day = Math.floor(rnd() * o.days);
    while (rnd() * maxWeight > weight(day));
    const user = `u${String(u).padStart(6, '0')}`;
    const t0 = start + day * DAY + Math.floor(rnd() * DAY);
    if (t0 >= endMs) continue;
    const plan = pick(rnd(), [['solo', 0.6], ['team', 0.25], ['pro', 0.15]]);
    const browser = pick(rnd(), [['chrome', 0.6], ['safari', 0.25], ['firefox', 0.15]]);
    const source = pick(rnd(), [['organic', 0.5], ['ads', 0.3], ['referral', 0.2]]);
    const out: EventRow[] = [{ event_id: `${user}-signup`, user_id: user, event: 'signup_completed', timestamp: new Date(t0), properties: { plan, browser, source } }];
    let t = t0;
    let activated = false;
    if (rnd() < 0.68) {
      t += 5 * 60_000 + Math.floor(rnd() * 36 * HOUR);
      out.push({ event_id: `${user}-onb`, user_id: user, event: 'onboarding_completed', timestamp: new Date(t), properties: { steps: 4 } });
      if (rnd() < (plan === 'team' ? 0.66 : 0.55)) {
        activated = true;
        t += HOUR + Math.floor(rnd() * 4 * DAY);
        out.push({ event_id: `${user}-act`, user_id: user, event: 'activated', timestamp: new Date(t), properties: { notes: 3 } });
        if (rnd() < (plan === 'team' ? 0.5 : 0.15)) {
          t += HOUR + Math.floor(rnd() * 8 * DAY);
          out.push({ event_id: `${user}-paid`, user_id: user, event: 'subscription_paid', timestamp: new Date(t), properties: { plan, amount: plan === 'team' ? 48 : plan === 'pro' ? 16 : 8 } });
        }
      }
    }
    // Returns: likely early, fading with time; activated users come back more.
    for (let k = 0; k * DAY + t0 < endMs && k < o.days; k++) {
      const p = (activated ? 0.55 : 0.3) * Math.exp(-k / 9) + (activated ? 0.08 : 0.02);
      if (rnd() < p) {
        const ts = t0 + k * DAY + Math.floor(rnd() * DAY);
        out.push({ user_id: user, event: 'session_started', timestamp: new Date(ts), properties: { browser } });
      }
    }
    for (const e of out) if (e.timestamp.getTime() < endMs) yield e;
  }
}
