// Checks every stack test makes on the recorded registrations of the program.
import { readdirSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { isSecret, type ProgramRun, REPO_ROOT, type Registration, SUPABASE_TYPE, withoutSecrets } from "../testing/pulumi-program.ts";

export const SURFACES = ["AuthConfig", "PostgrestConfig", "RealtimeConfig", "Secrets", "Migrations", "FunctionRelease"];

export function supabaseResources(run: ProgramRun): Registration[] {
  return run.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/supabase:"));
}

export function only(run: ProgramRun, type: string): Registration {
  const matches = run.registrations.filter((r) => r.type === SUPABASE_TYPE(type));
  expect(matches, `exactly one ${type}`).toHaveLength(1);
  return matches[0] as Registration;
}

/** Function directories as a person would list them: every directory of functions/ not starting with `_`. */
export function functionDirectories(): string[] {
  return readdirSync(path.join(REPO_ROOT, "functions"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("_") && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
}

/** Every secret input is a Pulumi secret, no secret value is readable anywhere, and secret outputs stay secret. */
export function expectSecretsProtected(run: ProgramRun, secretValues: readonly string[]): void {
  for (const resource of supabaseResources(run)) {
    expect(isSecret(resource.inputs["accessToken"]), `${resource.name}.accessToken is secret`).toBe(true);
    expect(resource.additionalSecretOutputs, `${resource.name} keeps its token secret in state`).toContain("accessToken");
  }
  expect(isSecret(only(run, "Secrets").inputs["values"])).toBe(true);
  expect(only(run, "Secrets").additionalSecretOutputs).toEqual(expect.arrayContaining(["values", "digests"]));
  const readable = JSON.stringify(run.registrations.map((r) => withoutSecrets(r.inputs)));
  for (const value of secretValues) expect(readable, "a secret value is readable in the recorded inputs").not.toContain(value);
}

export function expectFunctionRelease(run: ProgramRun): void {
  const release = only(run, "FunctionRelease");
  for (const prerequisite of ["Migrations", "Secrets"]) {
    expect(release.dependencies.some((urn) => urn.endsWith(`$${SUPABASE_TYPE(prerequisite)}::supabase-${prerequisite.toLowerCase()}`)), `functions wait for ${prerequisite}`).toBe(true);
  }
  expect(release.inputs).toMatchObject({ verifyJwt: false, functionsDir: "functions", importMapPath: "deno.json", sharedDirName: "_shared" });
  expect((release.inputs["functions"] as { slug: string }[]).map((fn) => fn.slug).sort()).toEqual(functionDirectories());
  expect(only(run, "Migrations").inputs["migrationsDir"]).toBe("supabase/migrations");
}

export function expectOutputs(run: ProgramRun, url: string): void {
  expect(run.outputs["supabaseUrl"]).toBe(url);
  expect(run.outputs["apiBaseUrl"]).toBe(`${url}/functions/v1`);
  expect(run.outputs["functionUrls"]).toEqual(
    Object.fromEntries(functionDirectories().map((slug) => [slug, `${url}/functions/v1/${slug}`])),
  );
}
