import { randomUUID } from 'node:crypto';
import { asc, desc, eq } from 'drizzle-orm';
import { AssistantSettings, type AiMessage, type AiProviderId, type Conversation, type ConversationScope, type DockerfileProposal } from '../../../shared/contract/assistant.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { aiConversations, aiMessages, settings as settingsTable } from '../db/schema.ts';

type ConvRow = typeof aiConversations.$inferSelect;
type MsgRow = typeof aiMessages.$inferSelect;

const toConversation = (r: ConvRow): Conversation => ({
  id: r.id,
  title: r.title,
  scope: r.scope,
  consent: r.consent,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const toMessage = (r: MsgRow): AiMessage => ({ ...r, proposal: r.proposal ?? null });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const DEFAULT_SETTINGS: AssistantSettings = {
  providers: {
    ollama: { baseUrl: 'http://127.0.0.1:11434', model: 'qwen2.5-coder:7b', requestsPerMinute: 120 },
    gemini: { baseUrl: 'https://generativelanguage.googleapis.com', model: 'gemini-2.5-flash', requestsPerMinute: 10 },
    groq: { baseUrl: 'https://api.groq.com', model: 'llama-3.3-70b-versatile', requestsPerMinute: 30 },
  },
  fallbackOrder: ['ollama', 'groq', 'gemini'],
  maxInputTokens: 16_000,
  maxOutputTokens: 2_048,
  timeoutMs: 60_000,
  maxAttempts: 3,
};

const SETTINGS_KEY = 'assistant';

/** Conversations, messages and the assistant's settings (the `settings` table, key "assistant") in SQLite. */
export class AssistantStore {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  settings(): AssistantSettings {
    const row = this.db.select().from(settingsTable).where(eq(settingsTable.key, SETTINGS_KEY)).get();
    const parsed = row ? AssistantSettings.safeParse({ ...DEFAULT_SETTINGS, ...(isRecord(row.value) ? row.value : {}) }) : null;
    return parsed?.success ? parsed.data : DEFAULT_SETTINGS;
  }

  updateSettings(patch: Partial<AssistantSettings>): AssistantSettings {
    const next = AssistantSettings.parse({ ...this.settings(), ...patch });
    const value = next;
    this.db
      .insert(settingsTable)
      .values({ key: SETTINGS_KEY, value, updatedAt: Date.now() })
      .onConflictDoUpdate({ target: settingsTable.key, set: { value, updatedAt: Date.now() } })
      .run();
    return next;
  }

  list(scope?: ConversationScope): Conversation[] {
    // The scope column holds JSON.stringify(scope): the same text is matched, as before.
    const q = this.db.select().from(aiConversations);
    return (scope ? q.where(eq(aiConversations.scope, scope)) : q).orderBy(desc(aiConversations.updatedAt)).all().map(toConversation);
  }

  create(title: string, scope: ConversationScope): Conversation {
    const now = Date.now();
    const row = { id: randomUUID(), title, scope, consent: [] as AiProviderId[], createdAt: now, updatedAt: now };
    this.db.insert(aiConversations).values(row).run();
    return toConversation(row);
  }

  get(id: string): Conversation {
    const row = this.db.select().from(aiConversations).where(eq(aiConversations.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `conversationId: no conversation ${id}`);
    return toConversation(row);
  }

  remove(id: string): boolean {
    return this.db.delete(aiConversations).where(eq(aiConversations.id, id)).run().changes > 0;
  }

  setConsent(id: string, provider: AiProviderId, granted: boolean): Conversation {
    const c = this.get(id);
    const consent = granted ? [...new Set([...c.consent, provider])] : c.consent.filter((p) => p !== provider);
    this.db.update(aiConversations).set({ consent, updatedAt: Date.now() }).where(eq(aiConversations.id, id)).run();
    return this.get(id);
  }

  messages(conversationId: string): AiMessage[] {
    return this.db.select().from(aiMessages).where(eq(aiMessages.conversationId, conversationId)).orderBy(asc(aiMessages.createdAt)).all().map(toMessage);
  }

  message(id: string): AiMessage {
    const row = this.db.select().from(aiMessages).where(eq(aiMessages.id, id)).get();
    if (!row) throw new AppError('NOT_FOUND', `messageId: no message ${id}`);
    return toMessage(row);
  }

  addMessage(m: Omit<AiMessage, 'id' | 'createdAt'>): AiMessage {
    // Strictly increasing times keep the order of a fast exchange.
    const last = this.db.select({ at: aiMessages.createdAt }).from(aiMessages).where(eq(aiMessages.conversationId, m.conversationId)).orderBy(desc(aiMessages.createdAt)).limit(1).get();
    const createdAt = Math.max(Date.now(), (last?.at ?? 0) + 1);
    const row = { ...m, id: randomUUID(), createdAt, proposal: m.proposal ?? null };
    this.db.insert(aiMessages).values(row).run();
    this.db.update(aiConversations).set({ updatedAt: createdAt }).where(eq(aiConversations.id, m.conversationId)).run();
    return toMessage(row);
  }

  setProposal(id: string, proposal: DockerfileProposal): AiMessage {
    this.db.update(aiMessages).set({ proposal }).where(eq(aiMessages.id, id)).run();
    return this.message(id);
  }
}
