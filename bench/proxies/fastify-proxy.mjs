// @fastify/http-proxy baseline (undici under the hood, its defaults).
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'

const [, , listen, upstream] = process.argv
const app = Fastify({ logger: false })
await app.register(proxy, { upstream: `http://127.0.0.1:${upstream}` })
await app.listen({ port: Number(listen), host: '127.0.0.1' })
process.send?.('ready')
