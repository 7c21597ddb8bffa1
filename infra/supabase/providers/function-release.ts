// All edge functions of the repository released together: every new or changed function is uploaded as source
// with bundleOnly (the server bundles, nothing is served yet), then one PUT /functions activates them all at
// once with verify_jwt as configured. Unchanged functions are skipped by checksum. Only functions this resource
// deployed itself (recorded in its state) are deleted when they leave functions/; every other function of the
// project (e.g. the 2025 backend's dash-named ones) keeps running and is reported as unmanaged, unless
// pruneUnmanagedFunctions is set. Check lists what the release would deploy, remove and keep (`plan`).
import type * as pulumi from "@pulumi/pulumi";
import type { BulkUpdateFunction, EdgeFunction } from "../api/types.ts";
import { collectFunctionSources, type FunctionLayout, type FunctionSource } from "../function-sources.ts";
import { type Connection, connectionChanged, connectionOf, targetChanged, type ProviderContext, type SupabaseProvider } from "./context.ts";
import { targetKnown, withoutPlan } from "./preview.ts";

export interface FunctionEntry {
  slug: string;
  checksum: string;
}

export interface DeployedFunction {
  id: string;
  version: number;
  checksum: string;
}

export interface FunctionReleaseInputs extends Connection, FunctionLayout {
  projectRef: string;
  /** What the program saw on disk; the provider re-reads the sources and refuses if they changed since. */
  functions: FunctionEntry[];
  /** Also delete live functions this resource never deployed (default: keep them running). */
  pruneUnmanagedFunctions?: boolean;
  /** Set by check from the live project: what the release would do. */
  plan?: ReleasePlan;
}

export interface ReleasePlan {
  /** Uploaded and activated: new here, changed, or live but not deployed by this resource (it takes them over). */
  deploy: string[];
  /** Deleted: ours and gone from functions/, or unmanaged with pruneUnmanagedFunctions. */
  remove: string[];
  /** Left running: live functions this resource did not deploy. */
  keep: string[];
}

export interface FunctionReleaseOutputs extends FunctionReleaseInputs {
  deployed: Record<string, DeployedFunction>;
  /** Live functions this resource did not deploy and left running. */
  unmanaged: string[];
}

export class FunctionReleaseError extends Error {
  override readonly name = "FunctionReleaseError";
}

export function createFunctionReleaseProvider(
  context: ProviderContext,
): SupabaseProvider<FunctionReleaseInputs, FunctionReleaseOutputs> {
  return {
    async check(olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (!news.projectRef) failures.push({ property: "projectRef", reason: "projectRef is required" });
      if (typeof news.verifyJwt !== "boolean") failures.push({ property: "verifyJwt", reason: "must be true or false" });
      const slugs = (news.functions ?? []).map((fn) => fn.slug);
      const duplicate = slugs.find((slug, index) => slugs.indexOf(slug) !== index);
      if (duplicate) failures.push({ property: "functions", reason: `function ${duplicate} is listed twice` });
      const inputs = withoutPlan(news);
      if (failures.length > 0 || !targetKnown(news)) return { inputs, failures };
      const live = await context.clientFor(news).listFunctions(news.projectRef);
      return { inputs: { ...inputs, plan: planRelease(news, olds.functions ?? [], live) }, failures };
    },

    async diff(_id, olds, news) {
      const target = targetChanged(olds.projectRef, news.projectRef);
      if (target) return target;
      const deployed = Object.entries(olds.deployed ?? {}).map(([slug, fn]) => ({ slug, checksum: fn.checksum }));
      // A plan (from check) also sees the live project: a function of ours deleted or replaced there is redeployed.
      const planned = news.plan
        ? news.plan.deploy.length + news.plan.remove.length > 0
        : news.pruneUnmanagedFunctions === true && (olds.unmanaged ?? []).length > 0;
      const changes = fingerprint(deployed) !== fingerprint(news.functions) || planned || connectionChanged(olds, news);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      return { id: `${inputs.projectRef}/functions`, outs: { ...withoutPlan(inputs), ...connectionOf(inputs), ...(await release(context, inputs, {})) } };
    },

    async update(_id, olds, news) {
      return { outs: { ...withoutPlan(news), ...connectionOf(news), ...(await release(context, news, olds.deployed ?? {})) } };
    },

    async delete(_id, props) {
      const client = context.clientFor(props);
      for (const slug of Object.keys(props.deployed ?? {})) await client.deleteFunction(props.projectRef, slug);
    },
  };
}

async function release(
  context: ProviderContext,
  inputs: FunctionReleaseInputs,
  previous: Record<string, DeployedFunction>,
): Promise<Pick<FunctionReleaseOutputs, "deployed" | "unmanaged">> {
  const sources = await collectFunctionSources(context.projectRoot, inputs);
  if (fingerprint(sources) !== fingerprint(inputs.functions)) {
    throw new FunctionReleaseError(
      `${inputs.functionsDir} changed between the preview and this update: run the update again so the plan matches the files`,
    );
  }
  const client = context.clientFor(inputs);
  const live = new Map((await client.listFunctions(inputs.projectRef)).map((fn) => [fn.slug, fn]));
  const stale = sources.filter((source) => needsDeploy(source, previous[source.slug], live.get(source.slug), inputs.verifyJwt));

  const bundles: EdgeFunction[] = [];
  for (const source of stale) {
    try {
      bundles.push(
        await client.deployFunction(inputs.projectRef, {
          slug: source.slug,
          bundleOnly: true,
          files: source.files,
          metadata: {
            name: source.slug,
            entrypoint_path: source.entrypointPath,
            import_map_path: inputs.importMapPath,
            verify_jwt: inputs.verifyJwt,
          },
        }),
      );
    } catch (error) {
      throw new FunctionReleaseError(
        `Uploading function ${source.slug} failed, so nothing was activated: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const activated = bundles.length > 0 ? await client.bulkUpdateFunctions(inputs.projectRef, bundles.map((b) => activation(b, inputs.verifyJwt))) : [];

  const wanted = new Set(sources.map((source) => source.slug));
  const unmanaged: string[] = [];
  for (const slug of [...live.keys()].sort()) {
    if (wanted.has(slug)) continue;
    if (slug in previous || inputs.pruneUnmanagedFunctions === true) await client.deleteFunction(inputs.projectRef, slug);
    else unmanaged.push(slug);
  }

  const result: Record<string, DeployedFunction> = {};
  for (const source of sources) {
    const fresh = activated.find((fn) => fn.slug === source.slug) ?? bundles.find((fn) => fn.slug === source.slug);
    const current = fresh ?? live.get(source.slug);
    if (!current) throw new FunctionReleaseError(`Function ${source.slug} is neither live nor part of this release`);
    result[source.slug] = { id: current.id, version: current.version, checksum: source.checksum };
  }
  return { deployed: result, unmanaged };
}

/**
 * What a release would do, from what check can see: the files (as the program listed them), the live functions,
 * and the functions of the previous inputs (what this resource released last time).
 */
function planRelease(inputs: FunctionReleaseInputs, previous: readonly FunctionEntry[], live: readonly EdgeFunction[]): ReleasePlan {
  const before = new Map(previous.map((entry) => [entry.slug, entry.checksum]));
  const liveBySlug = new Map(live.map((fn) => [fn.slug, fn]));
  const liveSlugs = new Set(liveBySlug.keys());
  const wanted = new Set(inputs.functions.map((entry) => entry.slug));
  // As needsDeploy decides, with what check can see (the previous inputs have no deployed versions).
  const deploy = inputs.functions
    .filter((entry) => {
      const current = liveBySlug.get(entry.slug);
      return !current || before.get(entry.slug) !== entry.checksum || current.verify_jwt !== inputs.verifyJwt || current.status !== "ACTIVE";
    })
    .map((entry) => entry.slug);
  const ours = [...liveSlugs].filter((slug) => !wanted.has(slug) && before.has(slug));
  const others = [...liveSlugs].filter((slug) => !wanted.has(slug) && !before.has(slug));
  const prune = inputs.pruneUnmanagedFunctions === true;
  return { deploy: deploy.sort(), remove: [...ours, ...(prune ? others : [])].sort(), keep: prune ? [] : others.sort() };
}

/** Changed here, never released by us, missing or replaced remotely, or served with other JWT settings. */
function needsDeploy(source: FunctionSource, previous: DeployedFunction | undefined, live: EdgeFunction | undefined, verifyJwt: boolean): boolean {
  if (!previous || !live) return true;
  return previous.checksum !== source.checksum || previous.version !== live.version || live.verify_jwt !== verifyJwt || live.status !== "ACTIVE";
}

function activation(bundle: EdgeFunction, verifyJwt: boolean): BulkUpdateFunction {
  return {
    id: bundle.id,
    slug: bundle.slug,
    name: bundle.name,
    status: "ACTIVE",
    version: bundle.version,
    ...(bundle.created_at !== undefined ? { created_at: bundle.created_at } : {}),
    verify_jwt: verifyJwt,
    ...(bundle.import_map !== undefined ? { import_map: bundle.import_map } : {}),
    ...(bundle.entrypoint_path !== undefined ? { entrypoint_path: bundle.entrypoint_path } : {}),
    ...(bundle.import_map_path !== undefined ? { import_map_path: bundle.import_map_path } : {}),
  };
}

function fingerprint(entries: readonly FunctionEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.slug < b.slug ? -1 : 1))
    .map((entry) => `${entry.slug}:${entry.checksum}`)
    .join(",");
}
