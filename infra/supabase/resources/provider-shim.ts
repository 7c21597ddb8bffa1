// What Pulumi serializes into each resource's `__provider`: a few lines that, inside the dynamic-provider process,
// load ../providers/index.ts from the checkout (compiled on the fly by tsx) and delegate to it. Nothing else is captured, so
// serialization cannot trip over captured modules (pulumi/pulumi#8090, #10480), no secret or machine path lands in
// state, and the provider code that runs is always the checkout's — including for deletes and refreshes, which
// otherwise run whatever code was serialized at the last update (pulumi/pulumi#16826).
//
// The process runs plain `node` with the Pulumi project root as its working directory (where Pulumi.yaml and
// node_modules are), so `require` resolves from there and the entry module is found relative to it.
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderKind } from "../providers/index.ts";

/** The provider entry module, relative to the Pulumi project root. */
const PROVIDERS_ENTRY = "infra/supabase/providers/index.ts";

type AnyProvider = pulumi.dynamic.ResourceProvider;

const shims = new Map<ProviderKind, AnyProvider>();

/** One shim object per kind: Pulumi caches serialization per provider object. */
export function providerShim(kind: ProviderKind): AnyProvider {
  let shim = shims.get(kind);
  if (!shim) {
    shim = createShim(kind);
    shims.set(kind, shim);
  }
  return shim;
}

function createShim(kind: ProviderKind): AnyProvider {
  const entry = PROVIDERS_ENTRY;
  const load = (): Promise<AnyProvider> => {
    const cacheKey = "__loveBackendSupabaseProviders";
    const cache = globalThis as unknown as Record<string, { providers: Record<string, AnyProvider> } | undefined>;
    let loaded = cache[cacheKey];
    if (!loaded) {
      // Inside the provider process `require` is the CommonJS require of the deserialized module, resolving from
      // the working directory. tsx's CommonJS API compiles the TypeScript sources on the fly.
      const nodePath = require("node:path");
      const nodeFs = require("node:fs");
      let dir: string = process.cwd();
      let file: string | undefined;
      for (;;) {
        const candidate = nodePath.join(dir, entry);
        if (nodeFs.existsSync(candidate)) {
          file = candidate;
          break;
        }
        const parent = nodePath.dirname(dir);
        if (parent === dir) break;
        dir = parent;
      }
      if (!file) {
        return Promise.reject(new Error(`Cannot find ${entry} from ${process.cwd()}: run pulumi from the love-backend checkout`));
      }
      loaded = require("tsx/cjs/api").require(file, file) as { providers: Record<string, AnyProvider> };
      cache[cacheKey] = loaded;
    }
    const provider = loaded.providers[kind];
    return provider ? Promise.resolve(provider) : Promise.reject(new Error(`${entry} has no provider "${kind}"`));
  };

  return {
    check: (olds, news) => load().then((p) => (p.check ? p.check(olds, news) : { inputs: news })),
    diff: (id, olds, news) => load().then((p) => (p.diff ? p.diff(id, olds, news) : {})),
    create: (inputs) => load().then((p) => p.create(inputs)),
    read: (id, props) => load().then((p) => (p.read ? p.read(id, props) : { id, props })),
    update: (id, olds, news) => load().then((p) => (p.update ? p.update(id, olds, news) : { outs: news })),
    delete: (id, props) => load().then((p) => (p.delete ? p.delete(id, props) : undefined)),
  };
}
