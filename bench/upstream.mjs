// Minimal fixed-body upstream for the proxy benchmark: /…tiny, /…1k, /…64k (by path suffix).
import { createServer } from 'node:http'

const bodies = { tiny: Buffer.from('ok\n'), '1k': Buffer.alloc(1024, 'a'), '64k': Buffer.alloc(65536, 'b') }
const port = Number(process.argv[2] ?? 0)
const server = createServer((req, res) => {
  const url = req.url ?? ''
  const body = url.endsWith('64k') ? bodies['64k'] : url.endsWith('1k') ? bodies['1k'] : bodies.tiny
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
server.keepAliveTimeout = 60_000
server.listen(
  port,
  '127.0.0.1',
  () => process.send?.({ port: server.address().port }) ?? console.log(server.address().port),
)
