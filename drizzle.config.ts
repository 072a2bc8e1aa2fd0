import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/main/services/db/schema.ts',
  out: './src/main/services/db/migrations',
});
