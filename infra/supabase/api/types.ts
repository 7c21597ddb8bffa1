// Shapes of the Management API requests and responses we use, as documented in the pinned OpenAPI subset
// (../openapi/management-api.subset.json). Only fields we read or send are spelled out.

export type ProjectStatus =
  | "INACTIVE"
  | "ACTIVE_HEALTHY"
  | "ACTIVE_UNHEALTHY"
  | "COMING_UP"
  | "UNKNOWN"
  | "GOING_DOWN"
  | "INIT_FAILED"
  | "REMOVED"
  | "RESTORING"
  | "UPGRADING"
  | "PAUSING"
  | "RESTORE_FAILED"
  | "RESTARTING"
  | "PAUSE_FAILED"
  | "RESIZING";

export type InstanceSize =
  | "pico"
  | "nano"
  | "micro"
  | "small"
  | "medium"
  | "large"
  | "xlarge"
  | "2xlarge"
  | "4xlarge"
  | "8xlarge"
  | "12xlarge"
  | "16xlarge";

export type ServiceName = "auth" | "db" | "db_postgres_user" | "pooler" | "realtime" | "rest" | "storage" | "pg_bouncer";

export interface CreateProjectBody {
  name: string;
  organization_slug: string;
  db_pass: string;
  region_selection: { type: "specific"; code: string };
  desired_instance_size?: InstanceSize;
}

export interface Project {
  ref: string;
  organization_slug: string;
  name: string;
  region: string;
  created_at: string;
  status: ProjectStatus;
  database?: { host: string; version: string; postgres_engine: string; release_channel: string };
}

export interface ServiceHealth {
  name: ServiceName;
  status: "COMING_UP" | "ACTIVE_HEALTHY" | "UNHEALTHY";
  error?: string;
}

export type ConfigValue = string | number | boolean;
export type ConfigSettings = Record<string, ConfigValue>;

export type FunctionStatus = "ACTIVE" | "REMOVED" | "THROTTLED";

export interface EdgeFunction {
  id: string;
  slug: string;
  name: string;
  status: FunctionStatus;
  version: number;
  created_at?: number;
  updated_at?: number;
  verify_jwt?: boolean;
  import_map?: boolean;
  entrypoint_path?: string;
  import_map_path?: string;
  ezbr_sha256?: string;
}

export interface FunctionDeployMetadata {
  entrypoint_path: string;
  import_map_path?: string;
  static_patterns?: string[];
  verify_jwt?: boolean;
  name?: string;
}

export interface SourceFile {
  /** Path relative to the upload root, as the entrypoint and import map paths refer to it. */
  path: string;
  content: Uint8Array;
}

/** One record of `PUT /functions`, built from a bundle-only deploy's response. */
export interface BulkUpdateFunction {
  id: string;
  slug: string;
  name: string;
  status: FunctionStatus;
  version: number;
  created_at?: number;
  verify_jwt?: boolean;
  import_map?: boolean;
  entrypoint_path?: string;
  import_map_path?: string;
}

export interface SecretDigest {
  name: string;
  /** SHA-256 hex digest of the value: the API never returns plaintext. */
  value: string;
  updated_at?: string;
}

export interface CreateBranchBody {
  branch_name: string;
  git_branch?: string;
  is_default?: boolean;
  persistent?: boolean;
  region?: string;
  desired_instance_size?: InstanceSize;
  with_data?: boolean;
}

export interface Branch {
  id: string;
  name: string;
  /** The branch's own project ref: config, query, functions and secrets endpoints take it. */
  project_ref: string;
  parent_project_ref: string;
  is_default: boolean;
  git_branch?: string;
  persistent: boolean;
  status: string;
  preview_project_status?: ProjectStatus;
}

export interface BranchDetails {
  ref: string;
  status: ProjectStatus;
  db_host: string;
  db_port: number;
}

export interface UpdateBranchBody {
  branch_name?: string;
  git_branch?: string;
  persistent?: boolean;
}
