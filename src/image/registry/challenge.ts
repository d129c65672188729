/** `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Bearer realm="…",service="…",scope="…"`. */

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipSpaces = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  while (i < s.length) {
    skipSpaces();
    const schemeStart = i;
    while (i < s.length && /[A-Za-z0-9!#$%&'*+.^_`|~-]/.test(s[i] as string)) i++;
    if (i === schemeStart) break;
    const challenge: Challenge = { scheme: s.slice(schemeStart, i).toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skipSpaces();
      const keyStart = i;
      while (i < s.length && /[A-Za-z0-9_.-]/.test(s[i] as string)) i++;
      const key = s.slice(keyStart, i);
      if (s[i] !== '=' || key === '') {
        i = keyStart;
        break;
      }
      i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        const vStart = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ') i++;
        value = s.slice(vStart, i);
      }
      challenge.params[key.toLowerCase()] = value;
    }
  }
  return out;
}
