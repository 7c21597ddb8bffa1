// A typed client for the Supabase Management API endpoints we use (see openapi/management-api.subset.json).
// Every call goes through ManagementTransport: rate limited per project, retried only when idempotent.
import { isNotFound, ManagementApiError, ManagementApiTransportError } from "./api/errors.ts";
import { ManagementTransport, type TransportOptions } from "./api/transport.ts";
import type {
  Branch,
  BranchDetails,
  BulkUpdateFunction,
  ConfigSettings,
  CreateBranchBody,
  CreateProjectBody,
  EdgeFunction,
  FunctionDeployMetadata,
  Project,
  SecretDigest,
  ServiceHealth,
  ServiceName,
  SourceFile,
  UpdateBranchBody,
} from "./api/types.ts";

export type ConfigSurface = "auth" | "postgrest" | "realtime";

const CONFIG_PATHS: Record<ConfigSurface, string> = {
  auth: "config/auth",
  postgrest: "postgrest",
  realtime: "config/realtime",
};

export interface DeployFunctionRequest {
  slug: string;
  metadata: FunctionDeployMetadata;
  files: readonly SourceFile[];
  /** Bundle without activating; activate later with bulkUpdateFunctions. */
  bundleOnly: boolean;
}

export interface CreateOrAdoptResult<T> {
  value: T;
  /** True when the object already existed (a 409, or a create whose answer was lost) and was taken over. */
  adopted: boolean;
}

export class ManagementClient {
  private readonly transport: ManagementTransport;

  constructor(options: TransportOptions) {
    this.transport = new ManagementTransport(options);
  }

  // ── projects ────────────────────────────────────────────────────────────────────────────────────────────────

  async listProjects(): Promise<Project[]> {
    return (await this.transport.request<Project[]>({ method: "GET", path: "/v1/projects", idempotent: true, scope: "account" })).body;
  }

  async getProject(ref: string): Promise<Project> {
    return (await this.transport.request<Project>({ method: "GET", path: projectPath(ref), idempotent: true, scope: ref })).body;
  }

  /** `POST /v1/projects` once. Never retried: the API has no idempotency key and names are unique per organization. */
  async createProject(body: CreateProjectBody): Promise<Project> {
    const response = await this.transport.request<Project>({
      method: "POST",
      path: "/v1/projects",
      json: body,
      idempotent: false,
      scope: `org:${body.organization_slug}`,
    });
    return response.body;
  }

  /**
   * Creates the project, or adopts the organization's project of the same name when the API says it exists (409)
   * or when the create's answer was lost in transit (the project may have been created: supabase/cli#6699).
   */
  async createOrAdoptProject(body: CreateProjectBody): Promise<CreateOrAdoptResult<Project>> {
    try {
      return { value: await this.createProject(body), adopted: false };
    } catch (error) {
      const conflict = error instanceof ManagementApiError && error.status === 409;
      const lost = error instanceof ManagementApiTransportError;
      if (!conflict && !lost) throw error;
      const existing = await this.findProjectByName(body.organization_slug, body.name);
      if (existing) return { value: existing, adopted: true };
      throw error;
    }
  }

  async findProjectByName(organizationSlug: string, name: string): Promise<Project | undefined> {
    const matches = (await this.listProjects()).filter(
      (project) => project.organization_slug === organizationSlug && project.name === name,
    );
    if (matches.length > 1) {
      throw new Error(
        `Organization ${organizationSlug} has ${matches.length} projects named "${name}" (${matches.map((p) => p.ref).join(", ")}): ` +
          "cannot tell which one to adopt",
      );
    }
    return matches[0];
  }

  async renameProject(ref: string, name: string): Promise<void> {
    await this.transport.request({ method: "PATCH", path: projectPath(ref), json: { name }, idempotent: true, scope: ref });
  }

  async updateDatabasePassword(ref: string, password: string): Promise<void> {
    await this.transport.request({
      method: "PATCH",
      path: `${projectPath(ref)}/database/password`,
      json: { password },
      idempotent: true,
      scope: ref,
    });
  }

  /** Returns false when the project was already gone. */
  async deleteProject(ref: string): Promise<boolean> {
    const response = await this.transport.request({
      method: "DELETE",
      path: projectPath(ref),
      idempotent: true,
      scope: ref,
      accept: [404],
    });
    return response.status !== 404;
  }

  async getServicesHealth(ref: string, services: readonly ServiceName[], timeoutMs?: number): Promise<ServiceHealth[]> {
    const response = await this.transport.request<ServiceHealth[]>({
      method: "GET",
      path: `${projectPath(ref)}/health`,
      query: { services, timeout_ms: timeoutMs },
      idempotent: true,
      scope: ref,
    });
    return response.body;
  }

  // ── service configuration ───────────────────────────────────────────────────────────────────────────────────

  async getServiceConfig(surface: ConfigSurface, ref: string): Promise<ConfigSettings> {
    const response = await this.transport.request<ConfigSettings>({
      method: "GET",
      path: `${projectPath(ref)}/${CONFIG_PATHS[surface]}`,
      idempotent: true,
      scope: ref,
    });
    return response.body;
  }

  /** PATCHes only the keys given: keys we do not own are never sent. */
  async updateServiceConfig(surface: ConfigSurface, ref: string, patch: ConfigSettings): Promise<void> {
    await this.transport.request({
      method: "PATCH",
      path: `${projectPath(ref)}/${CONFIG_PATHS[surface]}`,
      json: patch,
      idempotent: true,
      scope: ref,
    });
  }

  // ── database ────────────────────────────────────────────────────────────────────────────────────────────────

  /** `POST /database/query`. Read-only queries are retried like GETs; anything else is sent once. */
  async runQuery<Row = Record<string, unknown>>(ref: string, query: string, options: { readOnly?: boolean } = {}): Promise<Row[]> {
    const response = await this.transport.request<Row[] | undefined>({
      method: "POST",
      path: `${projectPath(ref)}/database/query`,
      json: options.readOnly ? { query, read_only: true } : { query },
      idempotent: options.readOnly === true,
      scope: ref,
    });
    return Array.isArray(response.body) ? response.body : [];
  }

  // ── edge functions ──────────────────────────────────────────────────────────────────────────────────────────

  /** Multipart `POST /functions/deploy`: one `metadata` JSON part, one `file` part per source file. */
  async deployFunction(ref: string, request: DeployFunctionRequest): Promise<EdgeFunction> {
    const form = new FormData();
    form.append("metadata", new Blob([JSON.stringify(request.metadata)], { type: "application/json" }));
    for (const file of request.files) {
      form.append("file", new Blob([Buffer.from(file.content)], { type: contentTypeOf(file.path) }), file.path);
    }
    const response = await this.transport.request<EdgeFunction>({
      method: "POST",
      path: `${projectPath(ref)}/functions/deploy`,
      query: { slug: request.slug, bundleOnly: request.bundleOnly },
      form,
      idempotent: false,
      scope: ref,
    });
    return response.body;
  }

  async listFunctions(ref: string): Promise<EdgeFunction[]> {
    const response = await this.transport.request<EdgeFunction[]>({
      method: "GET",
      path: `${projectPath(ref)}/functions`,
      idempotent: true,
      scope: ref,
    });
    return response.body;
  }

  async getFunction(ref: string, slug: string): Promise<EdgeFunction | undefined> {
    try {
      const response = await this.transport.request<EdgeFunction>({
        method: "GET",
        path: `${projectPath(ref)}/functions/${encodeURIComponent(slug)}`,
        idempotent: true,
        scope: ref,
      });
      return response.body;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** `PUT /functions`: activates bundle-only deploys together. Documented as idempotent. */
  async bulkUpdateFunctions(ref: string, functions: readonly BulkUpdateFunction[]): Promise<EdgeFunction[]> {
    const response = await this.transport.request<{ functions: EdgeFunction[] }>({
      method: "PUT",
      path: `${projectPath(ref)}/functions`,
      json: functions,
      idempotent: true,
      scope: ref,
    });
    return response.body.functions;
  }

  /** Returns false when the function was already gone. */
  async deleteFunction(ref: string, slug: string): Promise<boolean> {
    const response = await this.transport.request({
      method: "DELETE",
      path: `${projectPath(ref)}/functions/${encodeURIComponent(slug)}`,
      idempotent: true,
      scope: ref,
      accept: [404],
    });
    return response.status !== 404;
  }

  // ── secrets ─────────────────────────────────────────────────────────────────────────────────────────────────

  /** Names and SHA-256 digests; the API never returns values. */
  async listSecrets(ref: string): Promise<SecretDigest[]> {
    const response = await this.transport.request<SecretDigest[]>({
      method: "GET",
      path: `${projectPath(ref)}/secrets`,
      idempotent: true,
      scope: ref,
    });
    return response.body;
  }

  /** Bulk upsert: sending the same values twice leaves the same state, so it is retried like a PUT. */
  async upsertSecrets(ref: string, secrets: readonly { name: string; value: string }[]): Promise<void> {
    if (secrets.length === 0) return;
    await this.transport.request({ method: "POST", path: `${projectPath(ref)}/secrets`, json: secrets, idempotent: true, scope: ref });
  }

  async deleteSecrets(ref: string, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.transport.request({ method: "DELETE", path: `${projectPath(ref)}/secrets`, json: names, idempotent: true, scope: ref });
  }

  // ── branches ────────────────────────────────────────────────────────────────────────────────────────────────

  /** `POST /branches` once; on 409 (or a lost answer) the branch of that name is adopted. */
  async createOrAdoptBranch(parentRef: string, body: CreateBranchBody): Promise<CreateOrAdoptResult<Branch>> {
    try {
      const response = await this.transport.request<Branch>({
        method: "POST",
        path: `${projectPath(parentRef)}/branches`,
        json: body,
        idempotent: false,
        scope: parentRef,
      });
      return { value: response.body, adopted: false };
    } catch (error) {
      const conflict = error instanceof ManagementApiError && error.status === 409;
      const lost = error instanceof ManagementApiTransportError;
      if (!conflict && !lost) throw error;
      const existing = await this.getBranchByName(parentRef, body.branch_name);
      if (existing) return { value: existing, adopted: true };
      throw error;
    }
  }

  /**
   * Makes sure the project has its default branch, creating it (`is_default: true`) when the project lists none:
   * without it, the first branch created would become the default. A 422 on the list (branching not enabled, as
   * older API versions answered) means the same. Returns true when it created the default branch.
   */
  async ensureBranchingEnabled(parentRef: string, defaultBranchName: string): Promise<boolean> {
    const response = await this.transport.request<Branch[]>({
      method: "GET",
      path: `${projectPath(parentRef)}/branches`,
      idempotent: true,
      scope: parentRef,
      accept: [422],
    });
    if (response.status !== 422 && (response.body ?? []).some((branch) => branch.is_default)) return false;
    await this.createOrAdoptBranch(parentRef, { branch_name: defaultBranchName, is_default: true });
    return true;
  }

  async getBranchByName(parentRef: string, name: string): Promise<Branch | undefined> {
    try {
      const response = await this.transport.request<Branch>({
        method: "GET",
        path: `${projectPath(parentRef)}/branches/${encodeURIComponent(name)}`,
        idempotent: true,
        scope: parentRef,
      });
      return response.body;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Branch status lives here: `GET /v1/projects/{branch ref}` answers 404 for branches. */
  async getBranch(branchRef: string): Promise<BranchDetails> {
    const response = await this.transport.request<BranchDetails>({
      method: "GET",
      path: branchPath(branchRef),
      idempotent: true,
      scope: branchRef,
    });
    return response.body;
  }

  async updateBranch(branchRef: string, body: UpdateBranchBody): Promise<void> {
    await this.transport.request({ method: "PATCH", path: branchPath(branchRef), json: body, idempotent: true, scope: branchRef });
  }

  /**
   * Deletes a branch (never `DELETE /v1/projects/{ref}/branches`, which disables branching for the whole project).
   * A persistent branch answers 422 until demoted, so it is demoted and deleted again. Returns false if already gone.
   */
  async deleteBranch(branchRef: string): Promise<boolean> {
    const remove = () =>
      this.transport.request({ method: "DELETE", path: branchPath(branchRef), idempotent: true, scope: branchRef, accept: [404, 422] });
    let response = await remove();
    if (response.status === 422) {
      await this.updateBranch(branchRef, { persistent: false });
      response = await remove();
      if (response.status === 422) {
        throw new ManagementApiError(`DELETE ${branchPath(branchRef)}`, 422, "branch still refuses deletion after being made non-persistent");
      }
    }
    return response.status !== 404;
  }
}

function projectPath(ref: string): string {
  return `/v1/projects/${encodeURIComponent(ref)}`;
}

function branchPath(ref: string): string {
  return `/v1/branches/${encodeURIComponent(ref)}`;
}

function contentTypeOf(filePath: string): string {
  if (filePath.endsWith(".json")) return "application/json";
  if (/\.(m?[jt]sx?)$/.test(filePath)) return "application/typescript";
  return "application/octet-stream";
}
