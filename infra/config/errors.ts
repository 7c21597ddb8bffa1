export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    super(`Stack "${stack}" is not configured correctly:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}
