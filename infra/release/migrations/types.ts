// Column types as the lint compares them: a canonical spelling, and whether a change only widens (every value and
// every use of the old type stays valid, so the previous release keeps working).

export function normalizeType(raw: string): string {
  let t = raw.trim().toLowerCase().replace(/\s+/g, " ").replace(/\s*\(\s*/g, "(").replace(/\s*,\s*/g, ",").replace(/\s*\)/g, ")");
  const array = t.endsWith("[]") ? "[]" : "";
  if (array) t = t.slice(0, -2).trim();
  t = t.replace(/^pg_catalog\./, "");
  const map: Record<string, string> = {
    int: "integer", int4: "integer", integer: "integer", serial: "integer", serial4: "integer",
    smallint: "smallint", int2: "smallint", smallserial: "smallint", serial2: "smallint",
    bigint: "bigint", int8: "bigint", bigserial: "bigint", serial8: "bigint",
    "character varying": "varchar", varchar: "varchar", text: "text",
    decimal: "numeric", numeric: "numeric",
    real: "real", float4: "real", "double precision": "double precision", float8: "double precision", float: "double precision",
    timestamptz: "timestamptz", "timestamp with time zone": "timestamptz",
    timestamp: "timestamp", "timestamp without time zone": "timestamp",
    bool: "boolean", boolean: "boolean",
  };
  const sized = /^(character varying|varchar|character|char|numeric|decimal)\((\d+)(?:,(\d+))?\)$/.exec(t);
  if (sized) {
    const [, name, first, second] = sized;
    if (name === "numeric" || name === "decimal") t = `numeric(${first},${second ?? "0"})`;
    else if (name === "character" || name === "char") t = `char(${first})`;
    else t = `varchar(${first})`;
  } else if (t === "character" || t === "char") {
    t = "char(1)";
  } else {
    t = map[t] ?? t;
  }
  return t + array;
}

const INTEGER_RANK: Record<string, number> = { smallint: 1, integer: 2, bigint: 3 };
const INTEGER_DIGITS: Record<string, number> = { smallint: 5, integer: 10, bigint: 19 };

function numericParts(type: string): { precision: number; scale: number } | undefined {
  const match = /^numeric\((\d+),(\d+)\)$/.exec(type);
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : undefined;
}

function varcharLength(type: string): number | undefined {
  const match = /^varchar\((\d+)\)$/.exec(type);
  return match ? Number(match[1]) : undefined;
}

/** True when `to` accepts every value of `from` unchanged (both canonical). */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return true;
  if (from.endsWith("[]") || to.endsWith("[]")) return from.endsWith("[]") && to.endsWith("[]") && isWidening(from.slice(0, -2), to.slice(0, -2));
  const fromRank = INTEGER_RANK[from];
  if (fromRank !== undefined) {
    const toRank = INTEGER_RANK[to];
    if (toRank !== undefined) return toRank >= fromRank;
    if (to === "numeric") return true;
    const parts = numericParts(to);
    return parts !== undefined && parts.precision - parts.scale >= (INTEGER_DIGITS[from] ?? Infinity);
  }
  const fromNumeric = numericParts(from);
  if (fromNumeric) {
    if (to === "numeric") return true;
    const toNumeric = numericParts(to);
    return (
      toNumeric !== undefined &&
      toNumeric.scale >= fromNumeric.scale &&
      toNumeric.precision - toNumeric.scale >= fromNumeric.precision - fromNumeric.scale
    );
  }
  const fromLength = varcharLength(from);
  if (fromLength !== undefined) {
    const toLength = varcharLength(to);
    return to === "text" || to === "varchar" || (toLength !== undefined && toLength >= fromLength);
  }
  if (from === "varchar") return to === "text";
  if (from === "real") return to === "double precision";
  return false;
}
