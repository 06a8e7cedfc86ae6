// Validates Kubernetes manifests against the API's schemas, strictly: every document is checked
// by the JSON schemas of kubernetes-models (types, required fields, formats, enums) and, field by
// field, against the API's object models of @kubernetes/client-node, so a misspelt or misplaced
// field (which kubectl would drop or refuse) is an error too. Prints one line per problem; exit 1
// when there is any. Usage: node k8s.mjs FILE.yaml...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
const problems = [];

// kubernetes-models has a module per group version and kind: kubernetes-models/apps/v1/Deployment.
async function modelClass(apiVersion, kind) {
  const path = apiVersion.includes("/") ? apiVersion : "v1";
  try {
    const mod = await import(`kubernetes-models/${path}/${kind}`);
    return mod[kind];
  } catch {
    return null;
  }
}

// The client's model name of a kind: apps/v1 Deployment -> V1Deployment,
// autoscaling/v2 HorizontalPodAutoscaler -> V2HorizontalPodAutoscaler.
function clientModelName(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

const loaded = new Map();
function clientModel(name) {
  if (!loaded.has(name)) {
    let model = null;
    try {
      model = require(`@kubernetes/client-node/dist/gen/models/${name}.js`)[name] ?? null;
    } catch {
      model = null;
    }
    loaded.set(name, model);
  }
  return loaded.get(name);
}

const SCALARS = new Set(["string", "number", "boolean", "Date", "IntOrString", "any", "object"]);

// Walks value as an object of the client's type `type`, reporting fields the type does not have.
function strict(value, type, where) {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) { problems.push(`${where}: expected a list`); return; }
    value.forEach((v, i) => strict(v, array[1], `${where}[${i}]`));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== "object" || Array.isArray(value)) { problems.push(`${where}: expected a map`); return; }
    for (const [k, v] of Object.entries(value)) strict(v, map[1], `${where}.${k}`);
    return;
  }
  if (SCALARS.has(type)) return;
  const model = clientModel(type);
  if (!model) { problems.push(`${where}: no model for type ${type}`); return; }
  if (typeof value !== "object" || Array.isArray(value)) { problems.push(`${where}: expected an object (${type})`); return; }
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) {
      problems.push(`${where}: unknown field "${k}" in ${type}`);
    } else {
      strict(v, fields.get(k), `${where}.${k}`);
    }
  }
}

let documents = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [i, doc] of docs.entries()) {
    const where = `${file}#${i + 1}`;
    if (doc.errors.length) { problems.push(`${where}: ${doc.errors.map((e) => e.message).join("; ")}`); continue; }
    const obj = doc.toJS();
    if (obj === null) continue;
    documents++;
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
      problems.push(`${where}: no apiVersion and kind`);
      continue;
    }
    const Model = await modelClass(apiVersion, kind);
    if (!Model) { problems.push(`${where}: ${apiVersion} ${kind} is not a Kubernetes API object`); continue; }
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`${where} (${kind} ${obj.metadata?.name}): ${e.message}`);
    }
    strict(obj, clientModelName(apiVersion, kind), `${where} ${kind}`);
  }
}
for (const p of problems) console.log(p);
console.log(`k8s: ${documents} documents, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
