// Each fake project's own database on the real Postgres (created on first use, with the Supabase surface
// prepared), and POST /database/query, which runs SQL on it.
import postgres from "postgres";
import { prepareSupabaseSurface } from "../../../local/migrations.ts";
import type { Answer, Operations } from "./fake-operations.ts";
import type { FakeProject, FakeProjectStore } from "./fake-project-store.ts";

type QueryBody = { query: string; read_only?: boolean; parameters?: unknown[] };

export class FakeDatabases {
  private readonly admin?: postgres.Sql;

  /** `superuserUrl`: a real Postgres. Without it, every database use throws (the query endpoint answers 500). */
  constructor(private readonly superuserUrl?: string) {
    if (superuserUrl) this.admin = postgres(superuserUrl, { max: 2, onnotice: () => undefined });
  }

  async of(project: FakeProject): Promise<{ name: string; sql: postgres.Sql }> {
    if (project.database) return project.database;
    if (!this.admin || !this.superuserUrl) throw new Error("this fake was started without a databaseUrl");
    const name = `project_${project.ref}`;
    await this.admin.unsafe(`create database "${name}"`);
    const sql = postgres(this.urlOf(name), { max: 1, onnotice: () => undefined });
    await prepareSupabaseSurface(sql);
    project.database = { name, sql };
    return project.database;
  }

  /** Superuser URL of the project's database (created on first use). */
  async url(project: FakeProject): Promise<string> {
    const { name } = await this.of(project);
    return this.urlOf(name);
  }

  async drop(project: FakeProject): Promise<void> {
    if (!project.database) return;
    await project.database.sql.end();
    await this.admin?.unsafe(`drop database if exists "${project.database.name}" with (force)`);
  }

  async close(projects: FakeProject[]): Promise<void> {
    for (const project of projects) await project.database?.sql.end();
    await this.admin?.end();
  }

  private urlOf(name: string): string {
    const url = new URL(this.superuserUrl as string);
    url.pathname = `/${name}`;
    return url.toString();
  }
}

export function databaseOperations(store: FakeProjectStore, databases: FakeDatabases): Operations {
  return {
    "POST /v1/projects/{ref}/database/query": ({ params, body }) =>
      store.withTarget(params, (project) => runQuery(databases, project, body as QueryBody)),
  };
}

async function runQuery(databases: FakeDatabases, project: FakeProject, body: QueryBody): Promise<Answer> {
  const { sql } = await databases.of(project);
  try {
    const run = (tx: postgres.Sql | postgres.TransactionSql) =>
      body.parameters?.length
        ? tx.unsafe(body.query, body.parameters as postgres.ParameterOrJSON<never>[])
        : tx.unsafe(body.query).simple();
    const result: unknown = body.read_only ? await sql.begin("read only", (tx) => run(tx)) : await run(sql);
    // Several statements give one result each; like the API, answer with the last one's rows.
    const rows = Array.isArray(result) && result.length > 0 && result.every(Array.isArray) ? result[result.length - 1] : result;
    return { status: 201, body: [...(rows as Record<string, unknown>[])] };
  } catch (error) {
    const pgError = error as Error & { code?: string };
    return { status: 400, body: { message: `Failed to run sql query: ERROR:  ${pgError.code ?? "XX000"}: ${pgError.message}` } };
  }
}
