/**
 * Stable template ids.
 *
 * "New since the last run" compares this run's templates with the last run's, possibly
 * in another worker process, so an id must be a pure function of the template text: the
 * same text gives the same id in every run, on every machine, in any order of lines.
 * A truncated SHA-256 of the text does that; 12 hex digits (48 bits) keep the chance of two
 * different templates colliding negligible for the thousands of templates a log has.
 */

import { createHash } from 'node:crypto';

export function templateId(template: string): string {
  return `t_${createHash('sha256').update(template, 'utf8').digest('hex').slice(0, 12)}`;
}
