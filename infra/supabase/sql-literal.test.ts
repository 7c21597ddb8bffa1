import { describe, expect, it } from "vitest";
import { sqlTextLiteral } from "./sql-literal.ts";

describe("sqlTextLiteral", () => {
  it("quotes any text, including dollar quotes and quotes, without escaping", () => {
    const text = "select $m$ 'it''s' $m0$;";
    const literal = sqlTextLiteral(text);
    expect(literal.startsWith("$m1$")).toBe(true);
    expect(literal.slice(4, -4)).toBe(text);
  });

  it("picks another tag when the text's end would run into the closing one", () => {
    expect(sqlTextLiteral("cost $m")).toBe("$m0$cost $m$m0$");
    expect(sqlTextLiteral("plain")).toBe("$m$plain$m$");
  });
});
