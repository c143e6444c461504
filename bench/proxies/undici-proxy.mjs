// Hand-written node:http + undici Pool reverse proxy: the "tuned Node" baseline.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createSecureServer } from 'node:http2'
import { createRequire } from 'node:module'

// undici is a dependency of @portico/server; resolve it from there so the baseline uses the same version.
const { Pool } = createRequire(new URL('../../packages/server/package.json', import.meta.url))('undici')

const [, , listen, upstream, tlsListen, crt, key] = process.argv
const pool = new Pool(`http://127.0.0.1:${upstream}`, {
  connections: 128,
  pipelining: 1,
  keepAliveTimeout: 60_000,
})
const hop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
])
function handle(req, res) {
  const headers = {}
  for (const k in req.headers) if (!hop.has(k) && k.charCodeAt(0) !== 58) headers[k] = req.headers[k]
  if (headers.host === undefined && req.headers[':authority'] !== undefined)
    headers.host = req.headers[':authority']
  let signal
  if (req.httpVersionMajor === 2) {
    // An HTTP/2 stream reset before the upstream answers closes the compatibility response
    // without undici noticing: it would wait on it forever and keep its upstream connection, and
    // after a load generator's run ends with streams in flight the pool has none left. Abort then.
    const abort = new AbortController()
    res.once('close', () => {
      if (!res.writableEnded) abort.abort()
    })
    signal = abort.signal
  }
  pool.stream(
    {
      path: req.url,
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      signal,
    },
    ({ statusCode, headers: h }) => {
      for (const k of hop) delete h[k]
      res.writeHead(statusCode, h)
      return res
    },
    (err) => {
      if (err && !res.headersSent) {
        res.statusCode = 502
        res.end()
      }
    },
  )
}
createServer(handle).listen(Number(listen), '127.0.0.1', () => process.send?.('ready'))
if (tlsListen !== undefined) {
  // HTTPS and HTTP/2 on one port, as the gateway does (ALPN h2, http/1.1).
  createSecureServer(
    { cert: readFileSync(crt), key: readFileSync(key), allowHTTP1: true, minVersion: 'TLSv1.3' },
    handle,
  ).listen(Number(tlsListen), '127.0.0.1')
}
