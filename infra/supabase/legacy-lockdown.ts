// What the legacy lockdown looks at and what it changes. Every table (and view) in schema public is legacy: nothing
// of ours lives there (our schema is `love`). A legacy table holds secrets when it is called `pins` or has a column
// named like a password, a PIN, a token or a secret; those always lose what the anon and authenticated roles (and
// PUBLIC) may do, and their permissive policies for those roles; with lockAll, every legacy table does. Nothing
// else is touched: no row, no column, no table is ever dropped, and every change comes with the statement that
// undoes it. On a fresh database (public empty) there is nothing to do.
// Functions of public that run with their owner's rights (SECURITY DEFINER) read past any table privilege, so
// PostgREST's /rest/v1/rpc/<name> would still hand out what the tables no longer do: they always lose EXECUTE for
// the API roles. Functions that run with the caller's rights are stopped by the table lockdown and stay callable.
import { sqlTextLiteral } from "./sql-literal.ts";

/** One legacy relation as the inventory query reports it. */
export interface LegacyTable {
  name: string;
  /** pg_class.relkind: r table, p partitioned table, v view, m materialized view, f foreign table. */
  kind: string;
  rls: boolean;
  columns: string[];
  /** Who among anon, authenticated and PUBLIC holds privileges on it, and which ("anon:SELECT"). */
  grants: string[];
  /** Whether anon can SELECT it, directly or through PUBLIC. */
  anonCanSelect: boolean;
  policies: LegacyPolicy[];
}

export interface LegacyPolicy {
  name: string;
  permissive: string;
  roles: string[];
  cmd: string;
  qual: string | null;
  with_check: string | null;
}

/** One legacy function as the inventory query reports it. */
export interface LegacyFunction {
  /** Name and argument types, as GRANT and REVOKE name it: `"get_current_pins"()`. */
  signature: string;
  securityDefiner: boolean;
  /** Who among anon, authenticated and PUBLIC may EXECUTE it (a function's default ACL grants PUBLIC). */
  executableBy: string[];
}

export interface LegacyInventory {
  tables: LegacyTable[];
  functions: LegacyFunction[];
}

export interface LockdownChange {
  /** The legacy object changed: a table's (or view's) name, or a function's signature. */
  table: string;
  /** Why the table is locked: "holds secrets (password)", "lockDownLegacyTables". */
  reason: string;
  statement: string;
  undo: string;
}

export interface LockdownPlan {
  changes: LockdownChange[];
  /** Legacy tables left as they are, and what anon can do with them. */
  reported: { table: string; anonCanRead: boolean; grants: string[] }[];
}

const SECRET_COLUMN = /password|passwd|(^|_)(pwd|pass|pass_hash|secret|secrets|token|tokens|api_key|apikey|pin|pins|pin_code|otp)(_|$)/i;
const API_ROLES = new Set(["public", "anon", "authenticated"]);

/** Read-only: every relation of public that no extension owns, with its columns, grants to the API roles and policies. */
const LEGACY_TABLES_SQL = `
select coalesce(json_agg(t order by t.name), '[]'::json) from (
  select c.relname::text as name,
         c.relkind::text as kind,
         c.relrowsecurity as rls,
         coalesce((select array_agg(a.attname::text order by a.attnum) from pg_attribute a
                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '{}') as columns,
         coalesce((select array_agg(distinct (case when x.grantee = 0 then 'public' else r.rolname::text end) || ':' || x.privilege_type)
                   from aclexplode(c.relacl) x left join pg_roles r on r.oid = x.grantee
                   where x.grantee = 0 or r.rolname in ('anon', 'authenticated')), '{}') as grants,
         has_table_privilege('anon', c.oid, 'SELECT') as "anonCanSelect",
         coalesce((select json_agg(json_build_object('name', p.policyname, 'permissive', p.permissive, 'roles', p.roles,
                                                     'cmd', p.cmd, 'qual', p.qual, 'with_check', p.with_check) order by p.policyname)
                   from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname), '[]'::json) as policies
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public'
    and c.relkind in ('r', 'p', 'v', 'm', 'f')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
) t`;

/** Read-only: every function and procedure of public that no extension owns, and who of the API roles may run it. */
const LEGACY_FUNCTIONS_SQL = `
select coalesce(json_agg(f order by f.signature), '[]'::json) from (
  select format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) as signature,
         p.prosecdef as "securityDefiner",
         coalesce((select array_agg(distinct case when x.grantee = 0 then 'public' else r.rolname::text end)
                   from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x left join pg_roles r on r.oid = x.grantee
                   where x.privilege_type = 'EXECUTE' and (x.grantee = 0 or r.rolname in ('anon', 'authenticated'))), '{}') as "executableBy"
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'public'
    and p.prokind in ('f', 'p')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
) f`;

export const LEGACY_INVENTORY_SQL = `select (${LEGACY_TABLES_SQL}) as tables, (${LEGACY_FUNCTIONS_SQL}) as functions`;

export function planLockdown({ tables, functions }: LegacyInventory, lockAll: boolean): LockdownPlan {
  const plan: LockdownPlan = { changes: [], reported: [] };
  for (const fn of functions) {
    if (fn.securityDefiner) plan.changes.push(...lockFunction(fn));
  }
  for (const table of tables) {
    const secrets = secretColumns(table);
    const reason =
      table.name === "pins" ? "holds secrets (PINs)" : secrets.length > 0 ? `holds secrets (${secrets.join(", ")})` : lockAll ? "lockDownLegacyTables" : undefined;
    if (reason === undefined) plan.reported.push({ table: table.name, anonCanRead: readableByAnon(table), grants: table.grants });
    else plan.changes.push(...lockTable(table, reason));
  }
  return plan;
}

/** One query: every change and its record in love.legacy_lockdown_log, in one transaction. */
export function lockdownSql(changes: readonly LockdownChange[]): string {
  return changes
    .flatMap((change) => [
      `${change.statement};`,
      "insert into love.legacy_lockdown_log (table_name, reason, statement, undo) values " +
        `(${sqlTextLiteral(change.table)}, ${sqlTextLiteral(change.reason)}, ${sqlTextLiteral(change.statement)}, ${sqlTextLiteral(change.undo)});`,
    ])
    .join("\n");
}

function secretColumns(table: LegacyTable): string[] {
  return table.columns.filter((column) => SECRET_COLUMN.test(column));
}

function lockTable(table: LegacyTable, reason: string): LockdownChange[] {
  const target = `public.${quoteIdent(table.name)}`;
  const changes: LockdownChange[] = [];
  const holders = new Map<string, string[]>();
  for (const grant of table.grants) {
    const [role, privilege] = grant.split(":") as [string, string];
    holders.set(role, [...(holders.get(role) ?? []), privilege]);
  }
  for (const [role, privileges] of [...holders].sort(([a], [b]) => a.localeCompare(b))) {
    const grantee = role === "public" ? "public" : quoteIdent(role);
    changes.push({
      table: table.name,
      reason,
      statement: `revoke all on table ${target} from ${grantee}`,
      undo: `grant ${[...privileges].sort().join(", ").toLowerCase()} on table ${target} to ${grantee}`,
    });
  }
  for (const policy of table.policies) {
    if (policy.permissive !== "PERMISSIVE" || !policy.roles.some((role) => API_ROLES.has(role))) continue;
    changes.push({ table: table.name, reason, statement: `drop policy ${quoteIdent(policy.name)} on ${target}`, undo: createPolicySql(target, policy) });
  }
  if (!table.rls && (table.kind === "r" || table.kind === "p")) {
    changes.push({ table: table.name, reason, statement: `alter table ${target} enable row level security`, undo: `alter table ${target} disable row level security` });
  }
  return changes;
}

function lockFunction(fn: LegacyFunction): LockdownChange[] {
  return fn.executableBy.map((role) => {
    const grantee = role === "public" ? "public" : quoteIdent(role);
    return {
      table: fn.signature,
      reason: "security definer (runs with its owner's rights)",
      statement: `revoke execute on function public.${fn.signature} from ${grantee}`,
      undo: `grant execute on function public.${fn.signature} to ${grantee}`,
    };
  });
}

/** A locked function still runnable by the API roles, or a locked table they can still use. */
export function stillOpen(inventory: LegacyInventory, locked: ReadonlySet<string>): string[] {
  return [
    ...inventory.functions
      .filter((fn) => locked.has(fn.signature) && fn.executableBy.length > 0)
      .map((fn) => `public.${fn.signature} (EXECUTE: ${fn.executableBy.join(", ")})`),
    ...inventory.tables
      .filter((table) => locked.has(table.name) && (table.grants.length > 0 || table.anonCanSelect))
      .map((table) => `public.${table.name} (${table.grants.join(", ") || "SELECT through a role membership"})`),
  ];
}

function readableByAnon(table: LegacyTable): boolean {
  if (!table.anonCanSelect) return false;
  if (!table.rls || table.kind === "v" || table.kind === "m") return true;
  return table.policies.some(
    (policy) => policy.permissive === "PERMISSIVE" && ["ALL", "SELECT"].includes(policy.cmd) && policy.roles.some((role) => role === "public" || role === "anon"),
  );
}

function createPolicySql(target: string, policy: LegacyPolicy): string {
  const roles = policy.roles.map((role) => (role === "public" ? "public" : quoteIdent(role))).join(", ");
  return (
    `create policy ${quoteIdent(policy.name)} on ${target} as permissive for ${policy.cmd.toLowerCase()} to ${roles}` +
    (policy.qual !== null ? ` using (${policy.qual})` : "") +
    (policy.with_check !== null ? ` with check (${policy.with_check})` : "")
  );
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
