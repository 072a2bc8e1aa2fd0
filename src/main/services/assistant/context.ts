import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isEnvFileName } from './redact.ts';

export const SKIP = new Set(['.git', 'node_modules', 'vendor', 'dist', 'build', 'out', '.next', 'target', '__pycache__', '.venv', 'venv', '.cache', 'coverage', '.idea', '.vscode']);
export const MANIFESTS = [
  'package.json',
  'package-lock.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'requirements.txt',
  'pyproject.toml',
  'Pipfile',
  'go.mod',
  'Gemfile',
  'Cargo.toml',
  'composer.json',
  'pom.xml',
  'build.gradle',
  'mix.exs',
  'Procfile',
  'docker-compose.yml',
  'compose.yaml',
];
/** Lock files: only their presence matters (they choose the install command), never their content. */
const PRESENCE_ONLY = new Set(['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock']);
export const MAX_FILES = 400;
export const MAX_DEPTH = 4;
const MAX_MANIFEST = 6000;

export interface RepoSummary {
  /** What the repository is, for the model: a local folder, or a git URL and commit fetched on a server. */
  root: string;
  files: string[];
  truncated: boolean;
  manifests: { name: string; content: string }[];
  frameworks: string[];
  dockerfile: string | null;
  dockerignore: string | null;
  /** Names of env files found (their content is never read). */
  envFiles: string[];
}

/** Walks a checkout breadth-first (bounded in files and depth), reads its manifests and guesses the stack. */
export async function summariseRepo(root: string, dockerfilePath = 'Dockerfile'): Promise<RepoSummary> {
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`${root} is not a readable folder`);
  const files: string[] = [];
  const envFiles: string[] = [];
  let truncated = false;
  const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  for (let i = 0; i < queue.length && files.length < MAX_FILES; i++) {
    const { dir, depth } = queue[i]!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const rel = relative(root, join(dir, e.name));
      if (e.isDirectory()) {
        if (SKIP.has(e.name)) continue;
        if (depth + 1 < MAX_DEPTH) queue.push({ dir: join(dir, e.name), depth: depth + 1 });
        else truncated = true;
        files.push(`${rel}/`);
      } else if (e.isFile()) {
        files.push(rel);
        if (isEnvFileName(e.name)) envFiles.push(rel);
      }
      if (files.length >= MAX_FILES) {
        truncated = true;
        break;
      }
    }
  }
  const contents = new Map<string, string>();
  for (const name of [...MANIFESTS, dockerfilePath, '.dockerignore']) {
    const content = await readFile(join(root, name), 'utf8').catch(() => null);
    if (content !== null) contents.set(name, content);
  }
  return summaryOf(`local folder ${root}`, files, truncated, contents, dockerfilePath, envFiles);
}

/**
 * A summary from a listing and the files read (manifests, Dockerfile, .dockerignore), wherever they came from:
 * a local folder, or a checkout fetched on a server. Env files are only named.
 */
export function summaryOf(root: string, files: string[], truncated: boolean, contents: Map<string, string>, dockerfilePath: string, envFiles = files.filter((f) => isEnvFileName(f.split('/').at(-1) ?? f))): RepoSummary {
  const manifests: RepoSummary['manifests'] = [];
  for (const name of MANIFESTS) {
    const content = contents.get(name);
    if (content === undefined) continue;
    manifests.push({ name, content: PRESENCE_ONLY.has(name) ? '(present)' : content.length > MAX_MANIFEST ? `${content.slice(0, MAX_MANIFEST)}\n…(truncated)` : content });
  }
  return { root, files, truncated, manifests, frameworks: detectFrameworks(manifests, files), dockerfile: contents.get(dockerfilePath) ?? null, dockerignore: contents.get('.dockerignore') ?? null, envFiles };
}

const JS_FRAMEWORKS: [string, string][] = [
  ['next', 'Next.js'],
  ['nuxt', 'Nuxt'],
  ['@remix-run/node', 'Remix'],
  ['@sveltejs/kit', 'SvelteKit'],
  ['astro', 'Astro'],
  ['@nestjs/core', 'NestJS'],
  ['express', 'Express'],
  ['fastify', 'Fastify'],
  ['koa', 'Koa'],
  ['hono', 'Hono'],
  ['vite', 'Vite'],
  ['react-scripts', 'Create React App'],
];

export function detectFrameworks(manifests: { name: string; content: string }[], files: string[]): string[] {
  const out = new Set<string>();
  const get = (n: string) => manifests.find((m) => m.name === n)?.content ?? '';
  const pkg = get('package.json');
  if (pkg) {
    out.add('Node.js');
    try {
      const json = JSON.parse(pkg) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      const deps = { ...json.dependencies, ...json.devDependencies };
      for (const [dep, name] of JS_FRAMEWORKS) if (dep in deps) out.add(name);
      if ('typescript' in deps) out.add('TypeScript');
    } catch {
      /* not JSON: Node.js is all we know */
    }
    if (files.includes('pnpm-lock.yaml')) out.add('pnpm');
    else if (files.includes('yarn.lock')) out.add('yarn');
    else if (files.includes('package-lock.json')) out.add('npm');
  }
  const py = `${get('requirements.txt')}\n${get('pyproject.toml')}\n${get('Pipfile')}`;
  if (py.trim()) {
    out.add('Python');
    for (const [re, name] of [
      [/\bdjango\b/i, 'Django'],
      [/\bflask\b/i, 'Flask'],
      [/\bfastapi\b/i, 'FastAPI'],
      [/\bgunicorn\b/i, 'Gunicorn'],
      [/\buvicorn\b/i, 'Uvicorn'],
    ] as const)
      if (re.test(py)) out.add(name);
  }
  const gomod = get('go.mod');
  if (gomod) {
    out.add('Go');
    if (/gin-gonic\/gin/.test(gomod)) out.add('Gin');
    if (/labstack\/echo/.test(gomod)) out.add('Echo');
    if (/gofiber\/fiber/.test(gomod)) out.add('Fiber');
  }
  const gem = get('Gemfile');
  if (gem) {
    out.add('Ruby');
    if (/['"]rails['"]/.test(gem)) out.add('Rails');
    if (/['"]sinatra['"]/.test(gem)) out.add('Sinatra');
  }
  if (get('Cargo.toml')) out.add('Rust');
  if (get('composer.json')) out.add(/laravel\/framework/.test(get('composer.json')) ? 'Laravel' : 'PHP');
  if (get('pom.xml') || get('build.gradle')) out.add('Java');
  if (files.includes('index.html') && out.size === 0) out.add('Static site');
  return [...out];
}

export function formatRepoSummary(s: RepoSummary): string {
  const parts = [
    `Repository (${s.root})`,
    `Detected: ${s.frameworks.join(', ') || 'unknown stack'}`,
    `Files${s.truncated ? ' (partial)' : ''}:\n${s.files.join('\n')}`,
    ...s.manifests.map((m) => `--- ${m.name} ---\n${m.content}`),
    `--- current Dockerfile ---\n${s.dockerfile ?? '(none)'}`,
    `--- current .dockerignore ---\n${s.dockerignore ?? '(none)'}`,
  ];
  if (s.envFiles.length) parts.push(`Env files present (contents not sent): ${s.envFiles.join(', ')}`);
  return parts.join('\n\n');
}
