/**
 * Which lanes the Cards view shows, in which order: productOs.board.lanes lists lane ids or
 * names; empty means every lane, in the backend's order. Pure.
 */
import type { Lane } from '../../contracts/rest';

export function orderLanes(lanes: Lane[], wanted: string[]): Lane[] {
  const sorted = [...lanes].sort((a, b) => a.position - b.position);
  if (wanted.length === 0) return sorted;
  const out: Lane[] = [];
  for (const w of wanted) {
    const key = w.toLowerCase();
    const lane = sorted.find((l) => l.id.toLowerCase() === key || l.name.toLowerCase() === key);
    if (lane && !out.includes(lane)) out.push(lane);
  }
  return out;
}
