// The statements of a migration file exactly as the Supabase CLI records them in
// supabase_migrations.schema_migrations.statements (`supabase db push`, `migration up`, `migration repair`): its
// splitter cuts the file after every `;` that is outside quotes, comments, dollar-quoted bodies, parentheses and
// BEGIN ATOMIC … END, keeps everything in between (comments included), then trims trailing `;` and surrounding
// white space and drops what is left empty. A trailing comment after the last `;` is therefore a statement of its
// own, and `select 1;` is recorded as `select 1`.
//
// This is a re-implementation of the CLI's behaviour (its pkg/parser state machine), quirks included, because the
// point is to write and read the same rows as the CLI, not to lex SQL as Postgres does (infra/supabase/sql-text.ts
// does that for the migration lint):
// - parentheses nest only one level deep: the first `)` closes every open `(`;
// - `BEGIN ATOMIC` ends at the first `end` in the text, even inside a word such as `append`;
// - a backslash outside quotes skips the next character; inside '…' it is an ordinary character;
// - the scanner advances byte by byte, so every continuation byte of a non-ASCII character is seen as U+FFFD after
//   the character itself (which, for one, ends a dollar-quote tag such as `$ä$` after its first letter).

type State = Ready | LineCommentStart | BlockComment | Quoted | DollarQuoted | DollarTag | Escaped | Bracketed;

interface Ready {
  kind: "ready";
}
/** One `-` seen; a second one starts a line comment. */
interface LineCommentStart {
  kind: "dash";
}
interface BlockComment {
  kind: "block";
  depth: number;
}
interface Quoted {
  kind: "quote";
  delimiter: string;
  /** The delimiter was just seen: doubled it stays quoted, anything else closes. */
  closing: boolean;
}
/** Inside a body that only `delimiter` ends: a dollar-quoted string, or a line comment (delimiter "\n"). */
interface DollarQuoted {
  kind: "dollar";
  delimiter: string;
}
interface DollarTag {
  kind: "tag";
  /** Where the opening `$` is in the statement text. */
  start: number;
}
interface Escaped {
  kind: "escape";
}
/** Inside `( … )` or `BEGIN ATOMIC … END`: semicolons do not split until `delimiter` is seen outside quotes. */
interface Bracketed {
  kind: "bracket";
  inner: State;
  delimiter: string;
}

const READY: Ready = { kind: "ready" };
/** What the CLI's scanner sees at a continuation byte of a multi-byte UTF-8 character. */
const REPLACEMENT = "\uFFFD";
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const SPACE = /\p{White_Space}/u;

/** The CLI's `SplitAndTrim`: the statements it stores for a migration file. */
export function splitAndTrim(sql: string): string[] {
  const statements: string[] = [];
  for (const token of splitRaw(sql)) {
    const trimmed = trimSpace(token.replace(/;+$/, ""));
    if (trimmed.length > 0) statements.push(trimmed);
  }
  return statements;
}

/** The CLI's `Split`: each statement as it is in the file, its `;` included; the rest after the last `;` last. */
export function splitRaw(sql: string): string[] {
  const tokens: string[] = [];
  let state: State = READY;
  let start = 0;
  let offset = 0;
  for (const char of sql) {
    const end = offset + char.length;
    const data = sql.slice(start, end);
    let next = step(state, char, data);
    // Continuation bytes: the data seen then ends inside the character, so no delimiter can match there.
    for (let extra = utf8Length(char) - 1; extra > 0 && next !== undefined; extra--) {
      next = step(next, REPLACEMENT, data + REPLACEMENT);
    }
    offset = end;
    if (next === undefined) {
      tokens.push(sql.slice(start, end));
      start = end;
      state = READY;
    } else {
      state = next;
    }
  }
  if (start < sql.length) tokens.push(sql.slice(start));
  return tokens;
}

/** The next state after `char`; undefined means the statement ends here (an unquoted `;`). */
function step(state: State, char: string, data: string): State | undefined {
  switch (state.kind) {
    case "ready":
      return fromReady(char, data);
    case "dash":
      return char === "-" ? { kind: "dollar", delimiter: "\n" } : fromReady(char, data);
    case "block": {
      const window = data.slice(-2);
      if (window === "/*") {
        state.depth += 1;
        return state;
      }
      if (state.depth === 0) return fromReady(char, data);
      if (window === "*/") {
        state.depth -= 1;
        if (state.depth === 0) return READY;
      }
      return state;
    }
    case "quote":
      if (state.closing) {
        if (char === state.delimiter) {
          state.closing = false;
          return state;
        }
        return fromReady(char, data);
      }
      if (char === state.delimiter) state.closing = true;
      return state;
    case "dollar":
      return data.endsWith(state.delimiter) ? READY : state;
    case "tag":
      if (char === "$") return { kind: "dollar", delimiter: data.slice(state.start) };
      if (LETTER.test(char) || DIGIT.test(char) || char === "_") return state;
      return fromReady(char, data);
    case "escape":
      return READY;
    case "bracket": {
      const inner = step(state.inner, char, data);
      if (inner !== undefined) state.inner = inner;
      if (state.inner.kind === "ready" && data.slice(-state.delimiter.length).toLowerCase() === state.delimiter.toLowerCase()) {
        return READY;
      }
      return state;
    }
  }
}

function fromReady(char: string, data: string): State | undefined {
  switch (char) {
    case "$":
      return { kind: "tag", start: data.length - 1 };
    case "'":
    case '"':
      return { kind: "quote", delimiter: char, closing: false };
    case "-":
      return { kind: "dash" };
    case "/":
      return { kind: "block", depth: 0 };
    case "\\":
      return { kind: "escape" };
    case ";":
      return undefined;
    case "(":
      return { kind: "bracket", inner: READY, delimiter: ")" };
    case "c":
    case "C":
      return endsWithBeginAtomic(data) ? { kind: "bracket", inner: READY, delimiter: "end" } : READY;
    default:
      return READY;
  }
}

/** `data` ends with the words BEGIN and ATOMIC (any case, any white space between), neither part of a longer word. */
function endsWithBeginAtomic(data: string): boolean {
  const atomic = data.length - "atomic".length;
  if (atomic < 0 || data.slice(atomic).toLowerCase() !== "atomic") return false;
  if (atomic > 0 && isIdentifierChar(lastChar(data.slice(0, atomic)))) return false;
  const prefix = trimSpaceEnd(data.slice(0, atomic));
  const begin = prefix.length - "begin".length;
  if (begin < 0 || prefix.slice(begin).toLowerCase() !== "begin") return false;
  return begin === 0 || !isIdentifierChar(lastChar(prefix.slice(0, begin)));
}

function isIdentifierChar(char: string): boolean {
  return LETTER.test(char) || DIGIT.test(char) || char === "_" || char === "$";
}

function lastChar(text: string): string {
  if (text.length === 0) return "";
  const low = text.charCodeAt(text.length - 1);
  const pair = low >= 0xdc00 && low <= 0xdfff && text.length >= 2;
  return text.slice(pair ? -2 : -1);
}

function utf8Length(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

function trimSpaceEnd(text: string): string {
  let end = text.length;
  while (end > 0) {
    const char = lastChar(text.slice(0, end));
    if (!SPACE.test(char)) break;
    end -= char.length;
  }
  return text.slice(0, end);
}

function trimSpace(text: string): string {
  const trimmed = trimSpaceEnd(text);
  let first = 0;
  for (const char of trimmed) {
    if (!SPACE.test(char)) break;
    first += char.length;
  }
  return trimmed.slice(first);
}
