import { useLayoutEffect, useState, type RefObject } from 'react';
import { flushSync } from 'react-dom';

export interface RowWindow {
  /** First and one past the last row index to render (the visible ones plus the overscan). */
  start: number;
  end: number;
  /** Height of the whole list, in px. */
  totalHeight: number;
  /** The scroll offset the rows were computed for. */
  top: number;
}

/** The first and one past the last row of a list of fixed-height rows to render for a scroll offset and height. */
export function rowWindow(count: number, rowHeight: number, top: number, height: number, overscan: number): RowWindow {
  const start = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  return { start, end: Math.max(start, end), totalHeight: count * rowHeight, top };
}

/** Where the scroll offset must be for row `index` to be the last visible one, or centred. */
export function offsetFor(index: number, rowHeight: number, height: number, align: 'end' | 'center'): number {
  const offset = align === 'end' ? (index + 1) * rowHeight - height : index * rowHeight - (height - rowHeight) / 2;
  return Math.max(0, offset);
}

/**
 * Windowing for rows of one fixed height: which rows are on screen is arithmetic on the scroll offset, O(1)
 * per frame whatever the count. (A general virtualiser keeps an entry per row and rebuilds them as the count
 * changes: 200,000 objects a frame while a log streams in.) With `pinToEnd`, the window is the end of the list
 * and the element is scrolled there before paint.
 */
export function useFixedRows(scrollRef: RefObject<HTMLElement | null>, count: number, rowHeight: number, overscan: number, pinToEnd: boolean): RowWindow {
  const [view, setView] = useState({ top: 0, height: 0 });

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const read = () => setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
    // Rendered before the frame is painted, so a fast scroll never shows rows missing.
    const onScroll = () => flushSync(read);
    const resize = new ResizeObserver(read);
    el.addEventListener('scroll', onScroll, { passive: true });
    resize.observe(el);
    read();
    return () => {
      el.removeEventListener('scroll', onScroll);
      resize.disconnect();
    };
  }, [scrollRef]);

  const top = pinToEnd ? offsetFor(count - 1, rowHeight, view.height, 'end') : view.top;

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (pinToEnd && el && Math.abs(el.scrollTop - top) >= 1) el.scrollTop = top;
  }, [pinToEnd, top, scrollRef]);

  return rowWindow(count, rowHeight, top, view.height, overscan);
}
