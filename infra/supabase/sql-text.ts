// SQL text helpers of the migration lint: blank out what is not code (comments, string literals, E'' strings,
// dollar-quoted bodies) without moving anything, as Postgres lexes it, then split on the semicolons that remain.
// (The history rows use the Supabase CLI's own splitter instead, quirks and all: supabase/cli-statements.ts.)

/** Same length as `sql`, newlines kept; comments, '...', E'...' and $tag$...$tag$ become spaces. "identifiers" stay. */
export function maskSql(sql: string): string {
  const out = sql.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to && k < out.length; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      blank(i, stop);
      i = stop;
    } else if (ch === "/" && next === "*") {
      let depth = 0;
      let j = i;
      while (j < sql.length) {
        if (sql[j] === "/" && sql[j + 1] === "*") {
          depth++;
          j += 2;
        } else if (sql[j] === "*" && sql[j + 1] === "/") {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      blank(i, j);
      i = j;
    } else if (ch === "'") {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "\\" && /[eE]/.test(sql[i - 1] ?? "")) j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      blank(i, j + 1);
      i = j + 1;
    } else if (ch === '"') {
      const end = sql.indexOf('"', i + 1);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === "$") {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        const stop = end === -1 ? sql.length : end + tag.length;
        blank(i, stop);
        i = stop;
      } else i++;
    } else i++;
  }
  return out.join("");
}

export interface SqlStatement {
  /** Lower-cased, whitespace collapsed, quotes around identifiers removed; literals and bodies blanked. */
  text: string;
  /** 1-based line of the statement's first character in the file. */
  line: number;
}

export function splitMasked(sql: string): SqlStatement[] {
  const masked = maskSql(sql);
  const statements: SqlStatement[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = masked.slice(start, end);
    const offset = start + (raw.length - raw.trimStart().length);
    const text = raw.replace(/"/g, "").replace(/\s+/g, " ").trim().toLowerCase();
    if (text) statements.push({ text, line: masked.slice(0, offset).split("\n").length });
  };
  for (let i = 0; i < masked.length; i++) {
    if (masked[i] === ";") {
      push(i);
      start = i + 1;
    }
  }
  push(masked.length);
  return statements;
}

/** Splits on commas outside parentheses. */
export function splitTopLevel(text: string, separator = ","): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === separator && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter(Boolean);
}

/** The comment lines before the first statement (the file's header). */
export function headerComments(sql: string): string[] {
  const lines: string[] = [];
  for (const line of sql.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("--")) break;
    lines.push(trimmed);
  }
  return lines;
}
