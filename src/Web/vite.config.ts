import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The gateway's build runs `npm run build -- --outDir <gateway obj folder>`; `npm run dev` serves the client
// with hot reload and sends the API and hub to a server running on 127.0.0.1:8080.
export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/hub': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
