// node-http-proxy baseline with a keep-alive agent to the upstream.
import { Agent, createServer } from 'node:http'
import httpProxy from 'http-proxy'

const [, , listen, upstream] = process.argv
const agent = new Agent({ keepAlive: true, maxSockets: 128 })
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstream}`, agent })
proxy.on('error', (_e, _req, res) => {
  res.statusCode = 502
  res.end()
})
createServer((req, res) => proxy.web(req, res)).listen(Number(listen), '127.0.0.1', () =>
  process.send?.('ready'),
)
