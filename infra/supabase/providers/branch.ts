// A preview branch of the staging project for a pr-<n> stack: created (or adopted by name), waited on through
// GET /v1/branches/{ref} until healthy, and deleted on destroy (demoted first if someone made it persistent).
// On a project without branching (no default branch yet), the first branch created would become the project's
// default branch, which cannot be deleted; so, as terraform-provider-supabase does, the default branch is created
// first (named "Production", the project itself, no new database) and is left in place afterwards.
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceName } from "../api/types.ts";
import { waitForBranchReady } from "../readiness.ts";
import { type Connection, connectionChanged, connectionOf, isUnknown, type ProviderContext, readyOptions, type SupabaseProvider } from "./context.ts";

export interface BranchInputs extends Connection {
  parentRef: string;
  branchName: string;
  gitBranch?: string;
  services: ServiceName[];
  readyTimeoutMinutes: number;
}

export interface BranchOutputs extends Connection {
  /** The branch's own project ref. */
  ref: string;
  branchId: string;
  parentRef: string;
  branchName: string;
  gitBranch?: string;
  url: string;
  adopted: boolean;
  /** True when this branch's creation first enabled branching on the parent (created its default branch). */
  enabledBranching?: boolean;
}

export const DEFAULT_BRANCH_NAME = "Production";

export function createBranchProvider(context: ProviderContext): SupabaseProvider<BranchInputs, BranchOutputs> {
  return {
    async check(_olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (!/^[a-z]{20}$/.test(news.parentRef ?? "")) {
        failures.push({ property: "parentRef", reason: `parentRef must be a 20-letter project ref, got "${news.parentRef}"` });
      }
      if (!news.branchName) failures.push({ property: "branchName", reason: "branchName is required" });
      if (!(news.readyTimeoutMinutes > 0)) failures.push({ property: "readyTimeoutMinutes", reason: "must be a positive number" });
      return { inputs: news, failures };
    },

    async diff(_id, olds, news) {
      // An unknown parent (not known yet in a preview) is not known to differ: no replace on a guess.
      const replaces = olds.parentRef !== news.parentRef && !isUnknown(news.parentRef) ? ["parentRef"] : [];
      const changes =
        olds.parentRef !== news.parentRef ||
        olds.branchName !== news.branchName ||
        (olds.gitBranch ?? "") !== (news.gitBranch ?? "") ||
        connectionChanged(olds, news);
      return { changes, replaces, deleteBeforeReplace: true };
    },

    async create(inputs) {
      const client = context.clientFor(inputs);
      const enabledBranching = await client.ensureBranchingEnabled(inputs.parentRef, DEFAULT_BRANCH_NAME);
      const { value: branch, adopted } = await client.createOrAdoptBranch(inputs.parentRef, {
        branch_name: inputs.branchName,
        ...(inputs.gitBranch ? { git_branch: inputs.gitBranch } : {}),
        // The first branch of a project silently became its default unless told otherwise (provider PR #338).
        is_default: false,
        persistent: false,
      });
      if (branch.parent_project_ref !== inputs.parentRef) {
        throw new Error(`Branch ${inputs.branchName} belongs to ${branch.parent_project_ref}, not ${inputs.parentRef}`);
      }
      if (branch.is_default || branch.project_ref === inputs.parentRef) {
        throw new Error(
          `Branch ${inputs.branchName} is the default branch of ${inputs.parentRef} (the project itself), not a preview branch: ` +
            "refusing to use it, since deleting it is impossible and writing to it writes to staging",
        );
      }
      await waitForBranchReady(client, branch.project_ref, inputs.services, readyOptions(context, inputs));
      return {
        id: branch.project_ref,
        outs: {
          ...connectionOf(inputs),
          ref: branch.project_ref,
          branchId: branch.id,
          parentRef: inputs.parentRef,
          branchName: inputs.branchName,
          ...(inputs.gitBranch ? { gitBranch: inputs.gitBranch } : {}),
          url: `https://${branch.project_ref}.supabase.co`,
          adopted,
          ...(enabledBranching ? { enabledBranching } : {}),
        },
      };
    },

    async update(id, olds, news) {
      const client = context.clientFor(news);
      const renamed = olds.branchName !== news.branchName;
      const moved = (olds.gitBranch ?? "") !== (news.gitBranch ?? "");
      if (renamed || moved) {
        await client.updateBranch(id, {
          ...(renamed ? { branch_name: news.branchName } : {}),
          ...(moved && news.gitBranch ? { git_branch: news.gitBranch } : {}),
        });
      }
      await waitForBranchReady(client, id, news.services, readyOptions(context, news));
      const { gitBranch: _previousGitBranch, ...kept } = olds;
      return {
        outs: {
          ...kept,
          ...connectionOf(news),
          branchName: news.branchName,
          ...(news.gitBranch ? { gitBranch: news.gitBranch } : {}),
        },
      };
    },

    async delete(id, props) {
      await context.clientFor(props).deleteBranch(id);
    },
  };
}
