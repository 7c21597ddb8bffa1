// The fake's projects and branches (a branch is a project with a parent), their status as they are polled, and
// the lookups every surface starts from, which answer 404 or "Project Not Ready" as the API does.
import type postgres from "postgres";
import type { ProjectStatus, ServiceName } from "../../../infra/supabase/api/types.ts";
import type { FakeDatabases } from "./fake-database.ts";
import type { FakeFunction } from "./fake-edge-functions.ts";
import { type Answer, notFound } from "./fake-operations.ts";
import { initialServiceConfig } from "./fake-service-config.ts";

export interface FakeProject {
  ref: string;
  name: string;
  organizationSlug: string;
  region: string;
  createdAt: string;
  dbPassword: string;
  instanceSize?: string;
  pollsLeft: number;
  /** When set, the project never leaves this status. */
  stuckIn?: ProjectStatus;
  authConfig: Record<string, unknown>;
  postgrest: Record<string, unknown>;
  realtime: Record<string, unknown>;
  functions: Map<string, FakeFunction>;
  secrets: Map<string, { value: string; updatedAt: string }>;
  branch?: { id: string; name: string; parentRef: string; gitBranch?: string; persistent: boolean; isDefault: boolean };
  /**
   * The project's own (default) branch, once branching is enabled. Until then the project lists no branches, and the
   * first branch created becomes the default one, whatever was asked (terraform-provider-supabase#338).
   */
  defaultBranch?: { id: string; name: string; createdAt: string };
  database?: { name: string; sql: postgres.Sql };
}

type ProjectHandler = (project: FakeProject) => Answer | Promise<Answer>;

export class FakeProjectStore {
  private readonly projects = new Map<string, FakeProject>();
  /** Status every project created from now on is held in; undefined lets them come up. */
  holdNewProjectsIn?: ProjectStatus;
  /** Services every project reports UNHEALTHY. */
  unhealthyServices = new Set<ServiceName>();

  constructor(
    private readonly pollsUntilHealthy: number,
    private readonly databases: FakeDatabases,
  ) {}

  get(ref: string): FakeProject | undefined {
    return this.projects.get(ref);
  }

  all(): FakeProject[] {
    return [...this.projects.values()];
  }

  /** Projects proper, without their branches. */
  topLevel(): FakeProject[] {
    return this.all().filter((project) => !project.branch);
  }

  branchesOf(parent: FakeProject): FakeProject[] {
    return this.all().filter((project) => project.branch?.parentRef === parent.ref);
  }

  create(name: string, organizationSlug: string, region: string, dbPassword: string, ref = randomRef()): FakeProject {
    if (this.projects.has(ref)) throw new Error(`fake project ${ref} exists already`);
    const project: FakeProject = {
      ref,
      name,
      organizationSlug,
      region,
      createdAt: new Date().toISOString(),
      dbPassword,
      pollsLeft: this.pollsUntilHealthy,
      ...(this.holdNewProjectsIn ? { stuckIn: this.holdNewProjectsIn } : {}),
      ...initialServiceConfig(),
      functions: new Map(),
      secrets: new Map(),
    };
    this.projects.set(project.ref, project);
    return project;
  }

  async drop(project: FakeProject): Promise<void> {
    this.projects.delete(project.ref);
    await this.databases.drop(project);
  }

  poll(project: FakeProject): void {
    if (project.pollsLeft > 0) project.pollsLeft--;
  }

  statusOf(project: FakeProject): ProjectStatus {
    if (project.stuckIn) return project.stuckIn;
    return project.pollsLeft > 0 ? "COMING_UP" : "ACTIVE_HEALTHY";
  }

  async withProject(params: Record<string, string>, handler: ProjectHandler): Promise<Answer> {
    const project = this.projects.get(params["ref"] ?? "");
    return project && !project.branch ? handler(project) : notFound("Project not found");
  }

  /** Config, query, function and secret endpoints take project and branch refs alike. */
  async withTarget(params: Record<string, string>, handler: ProjectHandler): Promise<Answer> {
    const project = this.projects.get(params["ref"] ?? "");
    if (!project) return notFound("Project not found");
    if (this.statusOf(project) !== "ACTIVE_HEALTHY") return { status: 400, body: { message: "Project Not Ready" } };
    return handler(project);
  }

  async withBranch(params: Record<string, string>, handler: ProjectHandler): Promise<Answer> {
    const branch = this.projects.get(params["branch_id_or_ref"] ?? "");
    return branch?.branch ? handler(branch) : notFound("Branch not found");
  }
}

function randomRef(): string {
  let ref = "";
  for (let i = 0; i < 20; i++) ref += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return ref;
}
