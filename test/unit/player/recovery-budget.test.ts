// How many decode errors a renderer recovers from: MAX_RECOVERIES within a sliding window, then none.
import { describe, expect, it } from 'vitest';
import {
  MAX_RECOVERIES,
  RECOVERY_WINDOW_MS,
  RecoveryBudget,
} from '../../../src/player/recovery-budget.js';

describe('RecoveryBudget', () => {
  it('grants MAX_RECOVERIES within the window, refuses the next, and grants again once the oldest left it', () => {
    const budget = new RecoveryBudget();
    for (let i = 0; i < MAX_RECOVERIES; i++) expect(budget.take(i * 1000)).toBe(true);
    expect(budget.take(MAX_RECOVERIES * 1000)).toBe(false);
    expect(budget.granted).toBe(MAX_RECOVERIES);
    // The first recovery (at 0) leaves the window.
    expect(budget.take(RECOVERY_WINDOW_MS - 1)).toBe(false);
    expect(budget.take(RECOVERY_WINDOW_MS)).toBe(true);
    expect(budget.granted).toBe(MAX_RECOVERIES + 1);
  });

  it('recovers for as long as the errors are rare (an hour, one every 30 s)', () => {
    const budget = new RecoveryBudget(3, 60_000);
    for (let t = 0; t < 3_600_000; t += 30_000) expect(budget.take(t)).toBe(true);
  });
});
