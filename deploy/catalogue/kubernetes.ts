// Renders kustomize overlays and validates what comes out, offline: kubernetes-models checks
// each object against the Kubernetes 1.27 schemas (types, required fields, formats), and a
// strict pass type-checks each object as an object literal against the same models' TypeScript
// interfaces, so a misspelled or misplaced field (which the schemas let through) fails with
// TypeScript's "Object literal may only specify known properties".
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

export const repo = fileURLToPath(new URL('../..', import.meta.url));

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked untyped
  spec?: any;
  [key: string]: unknown;
}

/** `kubectl kustomize <dir>` parsed into objects. */
export function render(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], {
      cwd: repo,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('kubectl is not installed: bash deploy/local/bootstrap.sh installs it');
    }
    throw new Error(`kubectl kustomize ${dir} failed:\n${e.stderr ?? ''}`);
  }
  return parseAllDocuments(out).map((d) => d.toJSON() as K8sObject);
}

/** The kubernetes-models module of an apiVersion: `apps/v1` → `kubernetes-models/apps/v1`. */
const modelModule = (apiVersion: string) => `kubernetes-models/${apiVersion}`;

/** Schema validation: one message per invalid object. */
export async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata?.name}`;
    let mod: Record<string, new (data: unknown) => { validate(): void }>;
    try {
      mod = await import(modelModule(o.apiVersion));
    } catch {
      problems.push(`${where}: unknown apiVersion ${o.apiVersion}`);
      continue;
    }
    const Model = mod[o.kind];
    if (!Model) {
      problems.push(`${where}: unknown kind ${o.kind} in ${o.apiVersion}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Strict field check through TypeScript's excess property checks. */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const file = fileURLToPath(new URL('./__rendered_manifests__.ts', import.meta.url));
  const imports = new Map<string, string>();
  const lines: string[] = [];
  objects.forEach((o, i) => {
    const key = `${o.apiVersion}/${o.kind}`;
    if (!imports.has(key)) imports.set(key, `I${imports.size}`);
    lines.push(
      `// ${o.kind}/${o.metadata?.name}\nexport const o${i}: ${imports.get(key)} = ${JSON.stringify(o, null, 1)};`,
    );
  });
  const source = [
    ...[...imports].map(([key, alias]) => {
      const kind = key.split('/').pop();
      const module = modelModule(key.slice(0, key.lastIndexOf('/')));
      return `import type { I${kind} as ${alias} } from '${module}/${kind}';`;
    }),
    ...lines,
  ].join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => (f === file ? source : readFile(f));
  host.fileExists = (f) => f === file || fileExists(f);
  host.getSourceFile = (f, v, ...rest) =>
    f === file ? ts.createSourceFile(f, source, v) : getSourceFile(f, v, ...rest);
  const program = ts.createProgram([file], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    // Name the object: the nearest preceding "// Kind/name" comment.
    const before = d.file.text.slice(0, d.start);
    const owner = before.slice(before.lastIndexOf('\n// ') + 4).split('\n')[0];
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${owner}: ${message} (${d.file.text.split('\n')[line]?.trim()})`;
  });
}
