-- Where the legacy lockdown step (infra/supabase/providers/legacy-lockdown.ts, run by `pulumi up`, not a migration:
-- it must do nothing on a fresh database) records what it changed on the 2025 backend's tables in public: one row
-- per statement, with the statement that undoes it. Nothing is ever deleted here. Expand-only: a new table.

create table love.legacy_lockdown_log (
  id bigint generated always as identity primary key,
  applied_at timestamptz not null default now(),
  table_name text not null,
  reason text not null,
  statement text not null,
  undo text not null
);

alter table love.legacy_lockdown_log enable row level security;
revoke all on table love.legacy_lockdown_log from public, anon, authenticated;
