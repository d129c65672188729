/**
 * Docker-style tables for ps/ls/images/volume ls. Docker writes them through
 * Go's tabwriter with minwidth 10, padding 3 and spaces: every column but the
 * last is as wide as its widest cell plus 3, and never narrower than 10; the
 * last cell of a line is written as it is.
 */

const MIN_WIDTH = 10;
const PADDING = 3;

/** Width as tabwriter counts it: code points (docker tables hold no escapes). */
function cellWidth(text: string): number {
  return [...text].length;
}

export function formatTable(headers: string[], rows: string[][]): string {
  const lines = [headers, ...rows];
  const columns = Math.max(...lines.map((l) => l.length));
  const widths: number[] = [];
  for (let i = 0; i < columns - 1; i++) {
    const widest = Math.max(0, ...lines.map((l) => cellWidth(l[i] ?? '')));
    widths.push(Math.max(MIN_WIDTH, widest + PADDING));
  }
  const render = (cells: string[]): string => {
    let out = '';
    for (let i = 0; i < columns; i++) {
      const cell = cells[i] ?? '';
      out += i < columns - 1 ? cell + ' '.repeat((widths[i] as number) - cellWidth(cell)) : cell;
    }
    return out;
  };
  return `${lines.map(render).join('\n')}\n`;
}
