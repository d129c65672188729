/** Splits a command string into words as a POSIX shell would (quotes and backslashes), without running anything. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unterminated single quote in "${text}"`);
      current += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated double quote in "${text}"`);
        const d = text[i] as string;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1] as string)) {
          current += text[i + 1];
          i += 2;
          continue;
        }
        current += d;
        i++;
      }
      inWord = true;
      i++;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[i + 1];
      inWord = true;
      i += 2;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      i++;
    } else {
      current += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(current);
  return words;
}
