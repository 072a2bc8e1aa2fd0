import type { ChatMessage } from './types.ts';

export type Task = 'chat' | 'dockerfile' | 'explain';

const BASE = [
  'You are the OpenPanel assistant. OpenPanel manages self-hosted Linux servers over SSH and runs apps in Docker.',
  'Answer in concise Markdown. Put commands and files in fenced code blocks with a language tag.',
  'Commands you suggest are only proposals: the user reviews them and runs them explicitly. Never claim you ran anything.',
  'Secrets have been replaced by [REDACTED]; never ask for them and never invent values for them.',
].join('\n');

const TASK: Record<Task, string> = {
  chat: '',
  dockerfile: [
    'Write a production Dockerfile for the repository described in the context: multi-stage when it helps, a pinned',
    'official base image, a non-root user, only what the app needs, EXPOSE the port it listens on and a CMD.',
    'Answer with exactly two fenced blocks: first ```dockerfile with the Dockerfile, then ```dockerignore with the',
    '.dockerignore. A short explanation may follow the blocks.',
  ].join(' '),
  explain: [
    'Explain why this container or deploy failed, from its state and log lines. Give the most likely cause first,',
    'then a suggested fix. Put each suggested command in its own ```sh block, one command per block, without pipes.',
  ].join(' '),
};

export function systemPrompt(task: Task, context: string): string {
  return [BASE, TASK[task], context ? `Context:\n\n${context}` : ''].filter(Boolean).join('\n\n');
}

/** A rough token estimate (≈4 characters per token for English and code), used for budgets and previews. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Fits a request into the input budget: the system prompt (context) is kept but cut if it alone is too big;
 * the newest messages are kept, the oldest dropped first.
 */
export function fitBudget(system: string, history: ChatMessage[], maxInputTokens: number): ChatMessage[] {
  const maxChars = maxInputTokens * 4;
  let sys = system;
  const reserve = Math.min(maxChars / 2, (history.at(-1)?.content.length ?? 0) + 200);
  if (sys.length > maxChars - reserve) sys = `${sys.slice(0, Math.max(0, maxChars - reserve - 40))}\n…(context cut to fit the budget)`;
  let used = sys.length;
  const kept: ChatMessage[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    if (used + m.content.length > maxChars) {
      if (kept.length === 0) kept.unshift({ role: m.role, content: m.content.slice(-(maxChars - used)) });
      break;
    }
    used += m.content.length;
    kept.unshift(m);
  }
  return [{ role: 'system', content: sys }, ...kept];
}

export interface CodeBlock {
  lang: string;
  code: string;
}

/** Fenced code blocks (``` or ~~~) of a Markdown answer. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  const re = /^(```|~~~)[ \t]*([^\n`]*)\n([\s\S]*?)^\1[ \t]*$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) out.push({ lang: (m[2] ?? '').trim().toLowerCase(), code: m[3]!.replace(/\n$/, '') });
  return out;
}

/** The Dockerfile and .dockerignore of a `dockerfile` answer, or null when there is no Dockerfile in it. */
export function parseDockerfileAnswer(markdown: string): { dockerfile: string; dockerignore: string | null } | null {
  const blocks = codeBlocks(markdown);
  const df = blocks.find((b) => b.lang === 'dockerfile' || b.lang === 'docker') ?? blocks.find((b) => /^\s*(#.*\n)*\s*FROM\s/im.test(b.code) && !b.lang.includes('ignore'));
  if (!df) return null;
  const di = blocks.find((b) => b !== df && (b.lang.includes('dockerignore') || b.lang === 'gitignore' || b.lang === 'ignore')) ?? blocks.find((b) => b !== df && /^\.dockerignore/.test(b.lang));
  return { dockerfile: `${df.code.trimEnd()}\n`, dockerignore: di ? `${di.code.trimEnd()}\n` : null };
}
