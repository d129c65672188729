/** Warnings as docker compose prints them on stderr: `WARN[0000] file:line:col: message`. */
export interface Warning {
  message: string;
  location?: { file: string; line: number; column: number } | undefined;
}

export function formatWarning(w: Warning | string): string {
  if (typeof w === 'string') return `WARN[0000] ${w}\n`;
  const where = w.location ? `${w.location.file}:${w.location.line}:${w.location.column}: ` : '';
  return `WARN[0000] ${where}${w.message}\n`;
}

export function printWarnings(warnings: ReadonlyArray<Warning | string>, stderr: NodeJS.WritableStream): void {
  for (const w of warnings) stderr.write(formatWarning(w));
}
