// Shared pieces of the Compose tests: a two-service stack and the images to run it without a registry.
import { BUSYBOX_TAG, type TestServer } from '../testbed/index.ts';
import { DRIVER, TRAEFIK_IMAGE, TRAEFIK_TAR } from './deploy-fixture.ts';

// A stack of two services: `web` is built from web/Dockerfile (busybox httpd: a page, and a CGI script that asks
// `api`), `api` runs the busybox image as it is (a "pulled" image here: the base-image alias puts it under
// busybox:latest) with a named volume, and answers with a value interpolated from the app's keychain env.
export const COMPOSE = `services:
  web:
    build: ./web
    depends_on: [api]
  api:
    image: busybox:latest
    environment:
      GREETING: \${GREETING}
    volumes:
      - data:/data
    command: ["sh", "-c", "mkdir -p /srv && echo \\"api says $$GREETING\\" > /srv/index.html && trap 'exit 0' TERM; httpd -f -p 8081 -h /srv & wait"]
volumes:
  data: {}
`;
export const WEB_DOCKERFILE = `FROM busybox:latest
COPY index.html /www/index.html
COPY api.cgi /www/cgi-bin/api
RUN chmod +x /www/cgi-bin/api
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
`;
export const API_CGI = '#!/bin/sh\necho "Content-Type: text/plain"\necho\nwget -qO- http://api:8081/\n';

/** Ship images without a registry; the builder is Debian's docker.io + docker-compose 1.29 (no compose plugin there). */
export async function loadComposeImages(s: TestServer): Promise<Record<string, string>> {
  await s.loadImage('busybox');
  const builder = await s.loadImage('debian', { packages: ['git', 'docker.io', 'docker-compose'], tag: 'openpanel-test/builder-compose:latest' });
  const images: Record<string, string> = { 'docker:27-cli': builder, 'busybox:latest': BUSYBOX_TAG };
  if (DRIVER === 'traefik') {
    await s.exec(['docker', 'load', '-i', TRAEFIK_TAR], { check: true, timeoutMs: 120_000 });
    images['traefik:v3.3'] = TRAEFIK_IMAGE;
  } else {
    images['caddy:2'] = await s.loadImage('debian', { packages: ['caddy'], tag: 'openpanel-test/caddy:latest' });
  }
  return images;
}

