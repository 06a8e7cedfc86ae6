// Lints a Dockerfile: first with dockerfile-utils (the linter behind the Docker language server:
// unknown instructions, bad flags and arguments, repeated CMD/ENTRYPOINT/HEALTHCHECK, casing,
// relative WORKDIR, JSON in single quotes...), every finding an error; then with the rules this
// project's image must keep: several stages, the last one running as a user other than root,
// with a HEALTHCHECK, exec-form ENTRYPOINT, and COPY --from naming an earlier stage.
// Prints one line per problem; exit 1 when there is any. Usage: node dockerfile.mjs Dockerfile
import { readFileSync } from "node:fs";
import { validate, ValidationSeverity } from "dockerfile-utils";
import { DockerfileParser } from "dockerfile-ast";

const file = process.argv[2];
const content = readFileSync(file, "utf8");
const problems = [];

const all = ValidationSeverity.ERROR;
const settings = {
  deprecatedMaintainer: all, directiveCasing: all, emptyContinuationLine: all, instructionCasing: all,
  instructionCmdMultiple: all, instructionEntrypointMultiple: all, instructionHealthcheckMultiple: all,
  instructionJSONInSingleQuotes: all, instructionWorkdirRelative: all,
};
for (const d of validate(content, settings)) {
  problems.push(`${file}:${d.range.start.line + 1}: ${d.message}`);
}

const dockerfile = DockerfileParser.parse(content);
const froms = dockerfile.getFROMs();
if (froms.length < 2) problems.push(`${file}: one stage only; build in one stage and run in another`);
const line = (i) => i.getRange().start.line;
const last = froms[froms.length - 1];
const finalStage = dockerfile.getInstructions().filter((i) => !last || line(i) > line(last));
const users = finalStage.filter((i) => i.getKeyword() === "USER");
const user = users.length ? users[users.length - 1].getArgumentsContent().trim() : "root";
if (/^(root|0)(:|$)/.test(user)) problems.push(`${file}: the final stage runs as root (add USER with another user)`);
if (!finalStage.some((i) => i.getKeyword() === "HEALTHCHECK")) problems.push(`${file}: the final stage has no HEALTHCHECK`);
for (const i of finalStage.filter((i) => i.getKeyword() === "ENTRYPOINT" || i.getKeyword() === "CMD")) {
  if (!i.getArgumentsContent().trim().startsWith("[")) {
    problems.push(`${file}:${line(i) + 1}: ${i.getKeyword()} in shell form (signals would go to a shell, not the gateway)`);
  }
}
const stages = [];
for (const i of dockerfile.getInstructions()) {
  if (i.getKeyword() === "FROM") {
    const stage = i.getBuildStage();
    if (stage) stages.push(stage);
  }
  if (i.getKeyword() === "COPY") {
    for (const f of i.getFlags()) {
      if (f.getName() === "from" && !stages.includes(f.getValue())) {
        problems.push(`${file}:${line(i) + 1}: COPY --from=${f.getValue()} names no earlier stage`);
      }
    }
  }
}
for (const p of problems) console.log(p);
console.log(`dockerfile: ${froms.length} stages, final user ${user}, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
