import { describe, expect, it } from 'vitest';
import { offsetFor, rowWindow } from './rows.ts';

describe('fixed-height row window', () => {
  it('covers the visible rows plus the overscan, clamped to the list', () => {
    expect(rowWindow(200_000, 20, 0, 400, 10)).toEqual({ start: 0, end: 30, totalHeight: 4_000_000, top: 0 });
    expect(rowWindow(200_000, 20, 10_010, 400, 10)).toEqual({ start: 490, end: 531, totalHeight: 4_000_000, top: 10_010 });
    expect(rowWindow(200_000, 20, 4_000_000 - 400, 400, 10)).toMatchObject({ start: 199_970, end: 200_000 });
    expect(rowWindow(5, 20, 0, 400, 10)).toMatchObject({ start: 0, end: 5, totalHeight: 100 });
    expect(rowWindow(0, 20, 0, 400, 10)).toMatchObject({ start: 0, end: 0 });
  });

  it('scrolls a row to the bottom edge or the middle, never above the top', () => {
    expect(offsetFor(199_999, 20, 400, 'end')).toBe(4_000_000 - 400);
    expect(offsetFor(1000, 20, 400, 'center')).toBe(20_000 - 190);
    expect(offsetFor(3, 20, 400, 'end')).toBe(0);
    expect(offsetFor(2, 20, 400, 'center')).toBe(0);
  });
});
