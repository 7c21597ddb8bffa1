// dbQuery runs a statement again when Postgres rolled it back for a deadlock, a serialization conflict or a stray
// cancel, and never for anything else (a statement_timeout included).
import { beforeAll, describe, expect, it, vi } from "vitest";

let dbQuery: typeof import("../../functions/_shared/db.ts").dbQuery;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  // The client is created lazily and never connects here: every "query" below is a stand-in.
  process.env.SUPABASE_DB_URL ??= "postgresql://nobody@127.0.0.1:1/none";
  ({ dbQuery } = await import("../../functions/_shared/db.ts"));
});

/** Postgres' own words for the two kinds of 57014. */
const STRAY_CANCEL = "canceling statement due to user request";
const STATEMENT_TIMEOUT = "canceling statement due to statement timeout";

function failingThen(codes: string[], rows: unknown[], message = (code: string) => (code === "57014" ? STRAY_CANCEL : `sqlstate ${code}`)) {
  let calls = 0;
  const build = () => {
    const code = codes[calls++];
    const result = code ? Promise.reject(Object.assign(new Error(message(code)), { code })) : Promise.resolve(rows);
    return Object.assign(result, { cancel: () => {} }) as never;
  };
  return { build, calls: () => calls };
}

describe("dbQuery", () => {
  it("retries a deadlock and a serialization failure", async () => {
    const query = failingThen(["40P01", "40001"], [{ r: 1 }]);
    await expect(dbQuery(query.build)).resolves.toEqual([{ r: 1 }]);
    expect(query.calls()).toBe(3);
  });

  it("retries a statement cancelled by a cancel meant for an earlier, timed-out statement of its connection", async () => {
    // postgres.js cancels by backend: a breaker timeout's cancel can land after that connection moved on to the
    // next statement, which then fails with 57014 though its own call never timed out (seen as 500s under load).
    const query = failingThen(["57014"], [{ r: 2 }]);
    await expect(dbQuery(query.build)).resolves.toEqual([{ r: 2 }]);
    expect(query.calls()).toBe(2);
  });

  it("never retries a statement the server stopped for its own statement_timeout (running it again only adds load)", async () => {
    const query = failingThen(["57014"], [{ r: 3 }], () => STATEMENT_TIMEOUT);
    await expect(dbQuery(query.build)).rejects.toMatchObject({ code: "57014" });
    expect(query.calls()).toBe(1);
  });

  it("gives up after three attempts", async () => {
    const query = failingThen(["40P01", "40P01", "40P01", "40P01"], []);
    await expect(dbQuery(query.build)).rejects.toMatchObject({ code: "40P01" });
    expect(query.calls()).toBe(3);
  });

  it("never retries other errors", async () => {
    const query = failingThen(["23505"], []);
    await expect(dbQuery(query.build)).rejects.toMatchObject({ code: "23505" });
    expect(query.calls()).toBe(1);
  });
});
