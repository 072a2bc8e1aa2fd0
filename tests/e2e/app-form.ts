// Filling the app form's lists as a user does: domains row by row (host, HTTPS, certificate issuer), env variables
// by "Add variable".
import type { Page } from 'playwright-core';

export interface DomainInput {
  host: string;
  tls?: boolean;
  issuer?: 'acme' | 'internal';
}

/** Adds one row per domain after the rows already there. */
export async function addDomains(page: Page, domains: DomainInput[]): Promise<void> {
  for (const d of domains) {
    const i = await page.locator('[data-testid="domain-row"]').count();
    await page.click('[data-testid="domain-add"]');
    await page.fill(`[data-testid="domain-host-${i}"]`, d.host);
    await page.setChecked(`[data-testid="domain-tls-${i}"]`, d.tls ?? true);
    if ((d.tls ?? true) && d.issuer) await page.selectOption(`[data-testid="domain-issuer-${i}"]`, d.issuer);
  }
}

/** Adds a new variable with its value. */
export async function addEnv(page: Page, name: string, value: string): Promise<void> {
  const i = await page.locator('[data-testid="env-new-row"]').count();
  await page.click('[data-testid="env-add"]');
  await page.fill(`[data-testid="env-new-name-${i}"]`, name);
  await page.fill(`[data-testid="env-new-value-${i}"]`, value);
}
