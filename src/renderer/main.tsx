import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { connect, setConnection } from './lib/rpc.ts';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });

connect()
  .then((connection) => {
    setConnection(connection);
    root.render(
      <StrictMode>
        <QueryClientProvider client={queryClient}>
          <App connection={connection} />
        </QueryClientProvider>
      </StrictMode>,
    );
  })
  .catch((e: unknown) => {
    root.render(
      <div className="fatal" role="alert">
        <h1>OpenPanel cannot reach its backend</h1>
        <p>{e instanceof Error ? e.message : String(e)}</p>
      </div>,
    );
  });
