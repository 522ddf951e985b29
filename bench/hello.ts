import Fastify from 'fastify';

// The yardstick every figure of `npm run bench` is a ratio against: bare
// Fastify, no plugins, no logger, one JSON route.
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
