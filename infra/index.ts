// Pulumi.yaml's main: the program (./program.ts) as the module's default export, which Pulumi's nodejs runtime
// calls and whose result becomes the stack outputs.
import { program } from "./program.ts";

export default program;
