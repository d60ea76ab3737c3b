// An ordinary express + pino service: nothing in it knows about policies.
// Start it with `node --require @otel-policy/sdk-processor/register app.cjs`
// and OTEL_POLICY_SOURCE=policies.yaml (see README.md).
'use strict';
const express = require('express');
const pino = require('pino');

const logger = pino({ level: 'debug' });
const app = express();

app.get('/healthz', (req, res) => {
  logger.child({ route: '/healthz' }).info('health check ok');
  res.send('ok');
});

app.get('/orders/:id', (req, res) => {
  logger.debug({ orderId: req.params.id }, 'loading order');
  logger.info({ orderId: req.params.id }, `order ${req.params.id} paid by jane.doe@example.com`);
  res.json({ id: req.params.id, status: 'paid' });
});

app.get('/import', (req, res) => {
  // A chatty job: one debug line per item, one summary.
  const items = Number(req.query.items ?? 10);
  for (let i = 0; i < items; i++) logger.debug({ item: i }, `imported item ${i}`);
  logger.info(`import done: ${items} items`);
  res.json({ imported: items });
});

app.get('/search', (req, res) => {
  logger.debug({ q: req.query.q }, 'search');
  res.json({ results: [] });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  logger.info(`listening on ${server.address().port}`);
  if (process.send) process.send({ port: server.address().port });
});

process.on('SIGTERM', () => server.close());
